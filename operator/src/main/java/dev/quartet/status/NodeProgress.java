package dev.quartet.status;

import java.util.List;
import java.util.Set;

/**
 * Where a node stands in a repartition, as the node loop reports it: the phase, a CamelCase reason for conditions, a
 * sentence for people, the GPUs involved, and the deployments ({@code ns/name}) the change affects: those with
 * replicas planned or running on the GPUs that change. Only those report a failure of the node.
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
        /** MIG Manager reported success; the node does not show the new layout yet. */
        VERIFYING,
        /**
         * MIG Manager failed, timed out or reported success without the layout asked for (the node was rolled back and
         * waits for its back-off), or a step of the repartition was refused by the API server.
         */
        FAILED
    }

    /** Whether this report is a failure or a refused drain, which the affected deployments report as Degraded. */
    public boolean failure() {
        return phase == Phase.FAILED || phase == Phase.DRAIN_BLOCKED;
    }

    public NodeProgress {
        gpus = List.copyOf(gpus);
        deployments = Set.copyOf(deployments);
    }
}
