package dev.quartet.worker;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * A request that matches the model: one native-order buffer per model input (in model order, in the
 * input's carrier type), the full shape of each, its row count along the batch dimension, and the
 * outputs asked for ({@code null} = all).
 */
public record ValidatedRequest(
        String id, int rows, List<ByteBuffer> inputs, List<List<Long>> shapes, Set<String> outputs) {

    /** The shapes without their batch dimension: requests with equal keys can be stacked. */
    public List<List<Long>> batchKey() {
        return shapes.stream()
                .map(s -> s.isEmpty() ? s : s.subList(1, s.size()))
                .toList();
    }
}
