package dev.quartet.reconciler;

import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.planner.Demand;
import dev.quartet.planner.Plan;
import dev.quartet.status.NodeProgress;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One planning pass's result, shared by every reconcile until the cluster changes: the demands planned (of the
 * valid deployments, by {@code ns/name}), plan, inventory, node progress.
 */
public record ClusterView(
        Map<String, Demand> demands,
        Plan plan,
        Inventory inventory,
        Map<String, NodeProgress> nodeProgress,
        Map<String, List<Pod>> podsByDeployment,
        Instant at) {

    public ClusterView {
        demands = Map.copyOf(demands);
        nodeProgress = Map.copyOf(nodeProgress);
        podsByDeployment = Map.copyOf(podsByDeployment);
    }

    static Map<String, List<Pod>> groupReplicaPods(List<Pod> pods) {
        return pods.stream()
                .filter(p -> InventoryBuilder.deploymentOf(p) != null)
                .collect(Collectors.groupingBy(InventoryBuilder::deploymentOf));
    }

    /** Replica pods (including terminating ones) of the deployment {@code ns/name}. */
    public List<Pod> podsOf(String deployment) {
        return podsByDeployment.getOrDefault(deployment, List.of());
    }
}
