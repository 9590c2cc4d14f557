package dev.quartet.testsupport;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.Map;
import org.awaitility.core.ConditionFactory;

/** Waiting and reading helpers shared by the simulator's end-to-end tests. */
final class ClusterAssertions {

    private ClusterAssertions() {}

    static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200));
    }

    static String label(KubernetesClient client, String node, String key) {
        Node n = client.nodes().withName(node).get();
        return n == null ? null : n.getMetadata().getLabels().get(key);
    }

    /** Allocatable extended resources of the node as integers. */
    static Map<String, Integer> allocatable(KubernetesClient client, String node) {
        Map<String, Integer> result = new java.util.TreeMap<>();
        Map<String, Quantity> a =
                client.nodes().withName(node).get().getStatus().getAllocatable();
        a.forEach((k, v) -> {
            if (k.startsWith("nvidia.com/")) {
                result.put(k, Quantity.getAmountInBytes(v).intValue());
            }
        });
        return result;
    }

    static String readyStatus(KubernetesClient client, String node) {
        Node n = client.nodes().withName(node).get();
        if (n == null || n.getStatus() == null) {
            return "no such node";
        }
        return n.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()))
                .map(c -> c.getStatus())
                .findFirst()
                .orElse("missing");
    }

    /**
     * Sets {@code nvidia.com/mig.config} with a merge patch of that one label, as {@code kubectl label} does: the
     * simulator's own writes to the node never make it fail with a conflict (a read-modify-write edit could).
     */
    static void selectConfig(KubernetesClient client, String node, String config) {
        client.nodes()
                .withName(node)
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"labels\":{\"nvidia.com/mig.config\":\"" + config + "\"}}}");
    }

    /**
     * Relabels the node's selected MIG config and waits for MIG Manager to settle in success or failed. The state
     * label names no config and may already say {@code success} (or MIG Manager may write {@code success} at once,
     * without {@code pending}), so the same patch sets it to {@code pending}, as Quartet does when it selects a config:
     * what MIG Manager writes after that is about this config.
     */
    static String selectConfigAndWait(KubernetesClient client, String node, String config) {
        client.nodes()
                .withName(node)
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"labels\":{\"nvidia.com/mig.config\":\"" + config
                                + "\",\"nvidia.com/mig.config.state\":\"pending\"}}}");
        eventually().until(() -> {
            String state = label(client, node, "nvidia.com/mig.config.state");
            return "success".equals(state) || "failed".equals(state);
        });
        return label(client, node, "nvidia.com/mig.config.state");
    }
}
