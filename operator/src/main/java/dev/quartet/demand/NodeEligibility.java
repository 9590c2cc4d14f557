package dev.quartet.demand;

import dev.quartet.inventory.GpuNode;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * Which nodes a deployment's pods may run on: its node selector, and the NoSchedule/NoExecute taints it tolerates.
 * As for the scheduler and the taint manager, NoSchedule keeps new pods off a node; only NoExecute evicts running ones.
 */
public final class NodeEligibility {

    private NodeEligibility() {}

    public static boolean eligible(GpuNode node, Map<String, String> nodeSelector, List<Toleration> tolerations) {
        return allowed(node, nodeSelector, tolerations, false);
    }

    /** Whether a running pod may stay on {@code node}: its selector still matches, no untolerated NoExecute taint. */
    public static boolean mayKeepRunning(GpuNode node, Map<String, String> nodeSelector, List<Toleration> tolerations) {
        return allowed(node, nodeSelector, tolerations, true);
    }

    private static boolean allowed(
            GpuNode node, Map<String, String> nodeSelector, List<Toleration> tolerations, boolean running) {
        if (nodeSelector != null) {
            for (Map.Entry<String, String> e : nodeSelector.entrySet()) {
                if (!e.getValue().equals(node.labels().get(e.getKey()))) {
                    return false;
                }
            }
        }
        for (Taint taint : node.taints()) {
            if ("PreferNoSchedule".equals(taint.getEffect()) || running && !"NoExecute".equals(taint.getEffect())) {
                continue;
            }
            boolean tolerated = tolerations != null && tolerations.stream().anyMatch(t -> tolerates(t, taint));
            if (!tolerated) {
                return false;
            }
        }
        return true;
    }

    /** Whether the toleration tolerates the taint, as the scheduler matches them. */
    public static boolean tolerates(Toleration t, Taint taint) {
        if (t.getEffect() != null && !t.getEffect().isEmpty() && !t.getEffect().equals(taint.getEffect())) {
            return false;
        }
        if ("Exists".equals(t.getOperator())) {
            return t.getKey() == null || t.getKey().isEmpty() || t.getKey().equals(taint.getKey());
        }
        return t.getKey() != null
                && t.getKey().equals(taint.getKey())
                && (t.getValue() == null ? "" : t.getValue()).equals(taint.getValue() == null ? "" : taint.getValue());
    }
}
