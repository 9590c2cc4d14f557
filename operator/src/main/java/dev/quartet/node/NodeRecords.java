package dev.quartet.node;

import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.nvidia.NvidiaLabels;
import java.time.Instant;
import java.util.Optional;

/**
 * What MIG Manager and Quartet have written on one node, read back: the whole memory of a repartition. Every field
 * may be null (absent or unreadable).
 *
 * @param selected      {@code nvidia.com/mig.config}: the config MIG Manager is asked to apply
 * @param migState      {@code nvidia.com/mig.config.state}
 * @param quartetConfig the config Quartet last selected ({@link QuartetLabels#NODE_CONFIG})
 * @param requestedAt   when Quartet selected it
 * @param staged        the config Quartet wrote for the node's next change, and when
 * @param lastGood      the config a rollback returns to
 * @param failure       the last failure Quartet recorded
 * @param layoutCheck   {@code pending} or the time the check of the selected config's layout started
 */
public record NodeRecords(
        String selected,
        String migState,
        String quartetConfig,
        Instant requestedAt,
        StagedConfig staged,
        String lastGood,
        NodeMigRecord failure,
        String layoutCheck) {

    /** The value of {@link QuartetLabels#NODE_LAYOUT_CHECK} before MIG Manager has reported success. */
    static final String CHECK_PENDING = "pending";

    static NodeRecords of(GpuNode n) {
        return new NodeRecords(
                n.migConfig(),
                n.migState(),
                n.annotation(QuartetLabels.NODE_CONFIG),
                instant(n.annotation(QuartetLabels.NODE_CONFIG_REQUESTED_AT)),
                StagedConfig.of(n).orElse(null),
                n.annotation(QuartetLabels.NODE_LAST_GOOD_CONFIG),
                NodeMigRecord.of(n).orElse(null),
                n.annotation(QuartetLabels.NODE_LAYOUT_CHECK));
    }

    /**
     * The node's stage. {@code podsOnChangingGpus}: pods (terminating ones too) still hold GPUs the staged config
     * changes. Order matters: a recorded failure outranks the labels it left behind, MIG Manager's own report
     * outranks what Quartet staged next.
     */
    NodeStage stage(boolean podsOnChangingGpus, Instant now) {
        if (rollbackUnderWay(now)) {
            if (busy()) {
                return NodeStage.ROLLING_BACK;
            }
            return success() && layoutCheck != null ? NodeStage.VERIFYING : NodeStage.FAILED;
        }
        if (ours() && success() && (!selected.equals(lastGood) || layoutCheck != null)) {
            return NodeStage.VERIFYING;
        }
        if (ours() && (busy() || NvidiaLabels.STATE_FAILED.equals(migState)) && !recordsCurrentAttempt()) {
            return NodeStage.APPLYING;
        }
        if (failureActive(now)) {
            return NodeStage.FAILED;
        }
        if (staged != null) {
            return podsOnChangingGpus ? NodeStage.DRAINING : NodeStage.STAGED;
        }
        return NodeStage.IDLE;
    }

    /** Whether the selected config is the one Quartet selected (a rollback included), not an administrator's. */
    boolean ours() {
        return selected != null && selected.equals(quartetConfig);
    }

    /** MIG Manager is applying a config, whoever selected it. */
    boolean busy() {
        return NvidiaLabels.STATE_PENDING.equals(migState) || NvidiaLabels.STATE_REBOOTING.equals(migState);
    }

    boolean success() {
        return NvidiaLabels.STATE_SUCCESS.equals(migState);
    }

    boolean failureActive(Instant now) {
        return failure != null && failure.activeAt(now);
    }

    /** A failure's back-off runs and the node selects the config Quartet rolled back to. */
    boolean rollbackUnderWay(Instant now) {
        return failureActive(now)
                && failure.rolledBackTo() != null
                && failure.rolledBackTo().equals(selected);
    }

    /**
     * Whether the failure record is about the node's current config since Quartet last selected it. An older record
     * of the same config (selected again after a back-off) does not count: that new attempt may fail and roll back.
     */
    boolean recordsCurrentAttempt() {
        if (failure == null || selected == null || !selected.equals(failure.config())) {
            return false;
        }
        Instant at = instant(failure.at());
        return requestedAt == null || at == null || !at.isBefore(requestedAt);
    }

    /** When the layout check of the selected config started, if it has. */
    Optional<Instant> checkSince() {
        return Optional.ofNullable(instant(layoutCheck));
    }

    private static Instant instant(String value) {
        try {
            return value == null ? null : Instant.parse(value);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
