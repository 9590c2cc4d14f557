package dev.quartet.inventory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
}
