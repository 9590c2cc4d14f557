package dev.quartet.worker;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * A request that matches the model: one native-order buffer per model input (in model order, in the
 * input's carrier type), the full shape of each, its row count along the batch dimension, the
 * outputs asked for ({@code null} = all) and, for a model whose inputs are unknown, the specs its own inputs
 * were read with, in the order the engine gets them ({@code null}: the model's).
 */
public record ValidatedRequest(
        String id,
        int rows,
        List<ByteBuffer> inputs,
        List<List<Long>> shapes,
        Set<String> outputs,
        List<TensorSpec> specs) {

    /** A request for a model whose inputs are known. */
    public ValidatedRequest(
            String id, int rows, List<ByteBuffer> inputs, List<List<Long>> shapes, Set<String> outputs) {
        this(id, rows, inputs, shapes, outputs, null);
    }

    /** The shapes without their batch dimension: requests with equal keys can be stacked. */
    public List<List<Long>> batchKey() {
        return shapes.stream()
                .map(s -> s.isEmpty() ? s : s.subList(1, s.size()))
                .toList();
    }
}
