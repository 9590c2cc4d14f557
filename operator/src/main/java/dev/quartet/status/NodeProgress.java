package dev.quartet.status;

import java.util.List;
import java.util.Set;

/**
 * Where a node stands in a repartition, as the MIG backend reports it: the phase, a CamelCase reason for
 * conditions, a sentence for people, the GPUs involved, and the deployments ({@code ns/name}) a failure affected.
 */
public record NodeProgress(
        String node, Phase phase, String reason, String message, List<Integer> gpus, Set<String> deployments) {

    /** The steps of one node's repartition. */
    public enum Phase {
        /** Waiting for a turn (another node is repartitioning) or for replacements of moved replicas. */
        WAITING,
        /** Evicting replicas from the GPUs that change. */
        DRAINING,
        /** A drain is refused by a PodDisruptionBudget. */
        DRAIN_BLOCKED,
        /** MIG Manager is applying the new config. */
        APPLYING,
        /** MIG Manager failed or timed out; the node was rolled back and waits for its back-off. */
        FAILED
    }

    public NodeProgress {
        gpus = List.copyOf(gpus);
        deployments = Set.copyOf(deployments);
    }
}
