package dev.quartet.node;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where one node stands in a repartition. It is never kept in memory: {@link NodeRecords#stage} derives it from what
 * the cluster holds (MIG Manager's labels, Quartet's node annotations, the pods on the GPUs that change), so a
 * restarted operator finds every node where the last one left it.
 */
public enum NodeStage {
    /** Nothing under way: no config staged, MIG Manager not applying one Quartet selected, no failure in back-off. */
    IDLE,
    /** A config is in the ConfigMap for the node; its GPUs are empty; waiting for MIG Manager's copy to show it. */
    STAGED,
    /** A config is staged and pods still hold the GPUs that change: they are evicted (movable ones) or waited for. */
    DRAINING,
    /** Quartet selected a config and MIG Manager is {@code pending} or {@code rebooting} (or just reported failed). */
    APPLYING,
    /** MIG Manager reported {@code success} for a config Quartet selected; the node's layout is not confirmed yet. */
    VERIFYING,
    /** A failure is recorded and MIG Manager is applying the config Quartet rolled back to. */
    ROLLING_BACK,
    /** A failure is recorded and its back-off runs; nothing is under way. */
    FAILED;

    private static final Set<NodeStage> HOLDING_A_TURN =
            EnumSet.of(STAGED, DRAINING, APPLYING, VERIFYING, ROLLING_BACK);

    /** Whether a node in this stage counts against {@code max-concurrent-repartitions}. */
    boolean holdsTurn() {
        return HOLDING_A_TURN.contains(this);
    }
}
