package dev.quartet.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.QuartetLabels;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The failure record Quartet keeps on a node after MIG Manager failed or timed out there, or reported success without
 * the layout asked for (JSON annotation); {@code rolledBackTo} is null when there was no other config known to work
 * to roll back to; {@code deployments} are the ones the failed change affected.
 */
public record NodeMigRecord(
        String config, String reason, String at, String retryAfter, String rolledBackTo, List<String> deployments) {

    /** Fields a later Quartet may add are ignored, so its records still read as records. */
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public static Optional<NodeMigRecord> of(GpuNode node) {
        String value = node.annotation(QuartetLabels.NODE_LAST_FAILURE);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(value, NodeMigRecord.class));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    public boolean activeAt(Instant now) {
        try {
            return now.isBefore(Instant.parse(retryAfter));
        } catch (RuntimeException e) {
            return false;
        }
    }

    String json() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
