package dev.quartet.inventory;

import dev.quartet.planner.ClusterState;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.Set;

/**
 * The planner's input as derived from a snapshot, plus what the actuators need to know about each node:
 * its facts, whether it takes new pods, and the nodes that are lost (NotReady).
 */
public record Inventory(
        ClusterState state,
        Map<String, GpuNode> nodes,
        Map<String, NodeReadiness> readiness,
        Map<String, String> notes,
        Set<String> lostNodes) {

    public Inventory {
        nodes = Map.copyOf(nodes);
        readiness = Map.copyOf(readiness);
        notes = Map.copyOf(notes);
        lostNodes = Set.copyOf(lostNodes);
    }

    public boolean takesNewPods(String node) {
        return readiness.get(node) == NodeReadiness.READY;
    }

    /**
     * Whether a pod is being deleted and will finish: one on a lost node stays Terminating until the node comes
     * back or is removed, so waiting for it (before the next eviction or rollout step) would wait for ever.
     */
    public boolean finishingTermination(Pod pod) {
        return PodFacts.isTerminating(pod) && !(PodFacts.isBound(pod) && lostNodes.contains(PodFacts.node(pod)));
    }
}
