package dev.quartet.inventory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.nvidia.NvidiaLabels;
import java.time.Instant;
import java.util.Optional;

/** Reads the back-off Quartet records on a node after MIG Manager failed or timed out there. */
public final class RepartitionBackoff {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RepartitionBackoff() {}

    /** The end of the back-off, if the node carries a readable failure record. */
    public static Optional<Instant> until(GpuNode node) {
        String value = node.annotation(QuartetLabels.NODE_LAST_FAILURE);
        if (value == null) {
            return Optional.empty();
        }
        try {
            JsonNode json = JSON.readTree(value);
            return Optional.of(Instant.parse(json.path("retryAfter").asText()));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    public static boolean active(GpuNode node, Instant now) {
        return until(node).map(now::isBefore).orElse(false);
    }

    /**
     * Whether MIG Manager reported {@code failed} for the config Quartet selected on the node and Quartet has not
     * recorded that failure yet (no failure record of that config since Quartet selected it, and it is not the config
     * a recorded failure rolled back to): the node loop records it at its next pass, with the deployments the change
     * was for, and rolls back.
     */
    public static boolean unrecordedFailure(GpuNode node) {
        String selected = node.migConfig();
        if (!NvidiaLabels.STATE_FAILED.equals(node.migState())
                || selected == null
                || !selected.equals(node.annotation(QuartetLabels.NODE_CONFIG))) {
            return false;
        }
        String value = node.annotation(QuartetLabels.NODE_LAST_FAILURE);
        if (value == null) {
            return true;
        }
        try {
            JsonNode json = JSON.readTree(value);
            if (selected.equals(json.path("rolledBackTo").asText(null))) {
                // the config Quartet rolled back to failed too: the node loop records nothing more for it
                return false;
            }
            if (!selected.equals(json.path("config").asText(null))) {
                return true;
            }
            Instant at = instant(json.path("at").asText(null));
            Instant requested = instant(node.annotation(QuartetLabels.NODE_CONFIG_REQUESTED_AT));
            // as NodeRecords#recordsCurrentAttempt: a record older than the selection is of an earlier attempt
            return at != null && requested != null && at.isBefore(requested);
        } catch (Exception e) {
            return true;
        }
    }

    private static Instant instant(String value) {
        try {
            return value == null ? null : Instant.parse(value);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
