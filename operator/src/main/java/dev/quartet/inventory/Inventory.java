package dev.quartet.inventory;

import dev.quartet.planner.ClusterState;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.Set;

/**
 * The planner's input as derived from a snapshot, plus what the actuators need to know about each node:
 * its facts, whether it takes new pods, the nodes that are lost (NotReady), the GPUs whose MIG mode is off, and,
 * for the nodes where those GPUs are not offered to the planner, why ({@code migOffUnused}).
 */
public record Inventory(
        ClusterState state,
        Map<String, GpuNode> nodes,
        Map<String, NodeReadiness> readiness,
        Map<String, String> notes,
        Set<String> lostNodes,
        Map<String, Set<Integer>> migOff,
        Map<String, String> migOffUnused) {

    public Inventory {
        nodes = Map.copyOf(nodes);
        readiness = Map.copyOf(readiness);
        notes = Map.copyOf(notes);
        lostNodes = Set.copyOf(lostNodes);
        migOff = Map.copyOf(migOff);
        migOffUnused = Map.copyOf(migOffUnused);
    }

    /** The GPUs of {@code node} whose MIG mode is off (empty when none, or when Quartet cannot tell which). */
    public Set<Integer> migOff(String node) {
        return migOff.getOrDefault(node, Set.of());
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
