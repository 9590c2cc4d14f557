package dev.quartet.worker;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Stacks requests along the batch dimension into engine arrays, runs the model once, and cuts every
 * output back into each request's rows. All arrays of a batch live in one sub-manager closed at the end.
 */
public final class BatchExecutor implements BatchRunner {

    private final LoadedModel model;
    private final BiConsumer<Integer, Long> onBatch;

    /** {@code onBatch} receives (rows, inference nanoseconds) of every batch run. */
    public BatchExecutor(LoadedModel model, BiConsumer<Integer, Long> onBatch) {
        this.model = model;
        this.onBatch = onBatch;
    }

    @Override
    public List<List<Oip.OutputTensor>> run(List<ValidatedRequest> requests) {
        ModelSignature signature = model.signature();
        int rows = requests.stream().mapToInt(ValidatedRequest::rows).sum();
        // A model whose inputs are unknown runs every request alone, with the request's own inputs.
        List<TensorSpec> specs =
                requests.get(0).specs() != null ? requests.get(0).specs() : signature.inputs();
        try (NDManager manager = model.newBatchManager()) {
            NDList inputs = new NDList();
            for (int i = 0; i < specs.size(); i++) {
                inputs.add(stack(manager, specs.get(i), i, requests, rows));
            }
            long start = System.nanoTime();
            NDList outputs = model.forward(inputs);
            onBatch.accept(rows, System.nanoTime() - start);
            List<List<Oip.OutputTensor>> results = new ArrayList<>();
            requests.forEach(r -> results.add(new ArrayList<>()));
            List<String> names = new ArrayList<>();
            for (int k = 0; k < outputs.size(); k++) {
                String name = outputName(k, outputs.get(k));
                names.add(name);
                split(outputs.get(k), name, signature.output(name), requests, rows, results);
            }
            for (ValidatedRequest request : requests) {
                if (request.outputs() != null && !names.containsAll(request.outputs())) {
                    // Only where nothing described the outputs: the validator checked names it knew.
                    throw InferenceError.badRequest(
                            "unknown output in " + request.outputs() + "; the model returned " + names);
                }
            }
            return results;
        }
    }

    private NDArray stack(NDManager manager, TensorSpec spec, int index, List<ValidatedRequest> requests, int rows) {
        List<Long> first = requests.get(0).shapes().get(index);
        long[] dims = first.stream().mapToLong(Long::longValue).toArray();
        if (requests.size() > 1) {
            dims[0] = rows;
        }
        Datatype datatype = spec.datatype();
        // DJL cannot convert an ONNX Runtime array to FLOAT16 (BufferOverflowException): FP16 inputs of ONNX models
        // are halved on the host while the requests are stacked.
        boolean halve = datatype == Datatype.FP16 && model.format() == ModelFormat.ONNX;
        int bytes = requests.stream()
                .mapToInt(r -> r.inputs().get(index).remaining())
                .sum();
        ByteBuffer buffer = ByteBuffer.allocateDirect(halve ? bytes / 2 : bytes).order(ByteOrder.nativeOrder());
        for (ValidatedRequest request : requests) {
            ByteBuffer input = request.inputs().get(index).duplicate().order(ByteOrder.nativeOrder());
            if (halve) {
                while (input.remaining() >= 4) {
                    buffer.putShort(floatToHalf(input.getFloat()));
                }
            } else {
                buffer.put(input);
            }
        }
        buffer.flip();
        NDArray array;
        if (halve) {
            array = manager.create(buffer, new Shape(dims), DataType.FLOAT16);
        } else {
            array = manager.create(buffer, new Shape(dims), datatype.carrier());
            if (datatype.carrier() != datatype.engineType()) {
                array = array.toType(datatype.engineType(), false);
            }
        }
        if (model.format() == ModelFormat.ONNX) {
            array.setName(spec.name());
        }
        return array;
    }

    /** An FP32 value as IEEE 754 half-precision bits, rounded to nearest even. */
    static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int e = exponent - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int m = mantissa | 0x800000;
            int shift = 14 - e;
            int halfM = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || rest == halfway && (halfM & 1) != 0) {
                halfM++;
            }
            return (short) (sign | halfM);
        }
        int halfBits = (e << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || rest == 0x1000 && (halfBits & 1) != 0) {
            halfBits++;
        }
        return (short) (sign | halfBits);
    }

    private String outputName(int k, NDArray array) {
        if (model.format() == ModelFormat.ONNX && array.getName() != null) {
            return array.getName();
        }
        List<TensorSpec> outputs = model.signature().outputs();
        return k < outputs.size() ? outputs.get(k).name() : ModelSignature.positionalOutput(k);
    }

    private static void split(
            NDArray output,
            String name,
            Optional<TensorSpec> spec,
            List<ValidatedRequest> requests,
            int rows,
            List<List<Oip.OutputTensor>> results) {
        Datatype datatype = Datatype.of(output.getDataType())
                .orElseThrow(() -> new IllegalStateException("output '" + name + "' has type " + output.getDataType()
                        + ", which the worker does not serve"));
        NDArray carried =
                output.getDataType() == datatype.carrier() ? output : output.toType(datatype.carrier(), false);
        long[] dims = output.getShape().getShape();
        boolean batched = perRow(dims, rows, spec);
        if (requests.size() > 1 && !batched) {
            String why = dims.length > 0 && dims[0] == rows
                    ? "declared " + spec.map(TensorSpec::shape).orElseThrow() + " by the model"
                    : "not " + rows + " rows";
            throw new IllegalStateException("output '" + name + "' has shape " + output.getShape() + ", " + why
                    + ": it cannot be split between requests");
        }
        ByteBuffer data = carried.toByteBuffer().order(ByteOrder.nativeOrder());
        long perRow = dims.length == 0 || dims[0] == 0 ? 0 : output.size() / dims[0];
        for (int r = 0; r < requests.size(); r++) {
            ValidatedRequest request = requests.get(r);
            List<Long> shape = new ArrayList<>();
            for (long d : dims) {
                shape.add(d);
            }
            int count = (int) output.size();
            if (batched) {
                shape.set(0, (long) request.rows());
                count = (int) (perRow * request.rows());
            }
            Object values = datatype.read(data, count);
            if (request.outputs() == null || request.outputs().contains(name)) {
                results.get(r).add(new Oip.OutputTensor(name, datatype.name(), shape, values));
            }
        }
    }

    /**
     * Whether an output has one entry per row of the batch, so that it can be cut between the requests: its first
     * dimension is the batch's row count, and the model does not declare that very size as fixed (an output
     * declared [2, 10] belongs to the whole batch, also in a batch of two one-row requests). A declared fixed size
     * the output does not have (an export that kept its tracing batch size) says nothing.
     */
    private static boolean perRow(long[] dims, int rows, Optional<TensorSpec> spec) {
        return dims.length > 0
                && dims[0] == rows
                && spec.map(s -> s.shape().isEmpty() || s.shape().get(0) != rows)
                        .orElse(true);
    }

    /** Whether {@link #warmUpRequest} has to guess a size: an input dimension other than the batch is open. */
    public static boolean warmUpGuesses(ModelSignature signature) {
        for (TensorSpec spec : signature.inputs()) {
            for (int d = 0; d < spec.shape().size(); d++) {
                if (spec.shape().get(d) < 0 && !(d == 0 && signature.batchable())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * One row of zeros shaped like the model's inputs, other dynamic dimensions set to {@code dynamicSize}; empty when
     * the inputs are unknown (there is nothing to shape a request after).
     */
    public static Optional<ValidatedRequest> warmUpRequest(ModelSignature signature, int dynamicSize) {
        if (!signature.inputsKnown()) {
            return Optional.empty();
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        List<List<Long>> shapes = new ArrayList<>();
        for (TensorSpec spec : signature.inputs()) {
            List<Long> shape = new ArrayList<>();
            for (int d = 0; d < spec.shape().size(); d++) {
                long dim = spec.shape().get(d);
                shape.add(dim >= 0 ? dim : d == 0 && signature.batchable() ? 1L : dynamicSize);
            }
            long elements = shape.stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            buffers.add(ByteBuffer.allocate((int) elements * spec.datatype().carrierBytes())
                    .order(ByteOrder.nativeOrder()));
            shapes.add(shape);
        }
        return Optional.of(new ValidatedRequest("warm-up", 1, buffers, shapes, null));
    }
}
