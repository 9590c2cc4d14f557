package dev.quartet.worker;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks an OIP request against the model's signature and packs its data, naming the first problem found. */
public final class RequestValidator {

    /** Most elements in one input: its buffer (at most 8 bytes an element) must fit a Java array. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE / 8;

    private final ModelSignature signature;

    public RequestValidator(ModelSignature signature) {
        this.signature = signature;
    }

    /**
     * Returns the packed request.
     *
     * @throws InferenceError (400) naming the input and what is wrong with it
     */
    public ValidatedRequest validate(Oip.InferRequest request) {
        if (request == null || request.inputs() == null || request.inputs().isEmpty()) {
            throw InferenceError.badRequest("request has no inputs; the model takes " + inputNames());
        }
        if (!signature.inputsKnown()) {
            return byPosition(request);
        }
        Map<String, Oip.InputTensor> byName = new HashMap<>();
        for (Oip.InputTensor input : request.inputs()) {
            if (input == null || input.name() == null) {
                throw InferenceError.badRequest("every input needs a name; the model takes " + inputNames());
            }
            if (byName.put(input.name(), input) != null) {
                throw InferenceError.badRequest("input '" + input.name() + "' is given twice");
            }
            if (signature.inputs().stream().noneMatch(s -> s.name().equals(input.name()))) {
                throw InferenceError.badRequest(
                        "unknown input '" + input.name() + "'; the model takes " + inputNames());
            }
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        List<List<Long>> shapes = new ArrayList<>();
        int rows = -1;
        for (TensorSpec spec : signature.inputs()) {
            Oip.InputTensor input = byName.get(spec.name());
            if (input == null) {
                throw InferenceError.badRequest("missing input '" + spec.name() + "'; the model takes " + inputNames());
            }
            buffers.add(pack(spec, input));
            shapes.add(List.copyOf(input.shape()));
            if (signature.batchable()) {
                int inputRows = Math.toIntExact(input.shape().get(0));
                if (rows >= 0 && inputRows != rows) {
                    throw InferenceError.badRequest("inputs disagree on the batch dimension: '" + spec.name() + "' has "
                            + inputRows + ", others " + rows);
                }
                rows = inputRows;
            }
        }
        return new ValidatedRequest(request.id(), Math.max(rows, 1), buffers, shapes, requestedOutputs(request));
    }

    private static final Pattern POSITIONAL = Pattern.compile("INPUT__(\\d{1,4})");

    /**
     * A request for a model whose inputs nothing describes: its inputs go to the engine by position (in the order of
     * {@code i} when every name is {@code INPUT__<i>}, as Triton's PyTorch backend takes them, else in the request's
     * order), each with the datatype and shape the request gives.
     */
    private ValidatedRequest byPosition(Oip.InferRequest request) {
        List<Oip.InputTensor> inputs = new ArrayList<>(request.inputs());
        Set<String> names = new LinkedHashSet<>();
        for (Oip.InputTensor input : inputs) {
            if (input == null || input.name() == null) {
                throw InferenceError.badRequest("every input needs a name");
            }
            if (!names.add(input.name())) {
                throw InferenceError.badRequest("input '" + input.name() + "' is given twice");
            }
        }
        if (inputs.stream().allMatch(i -> POSITIONAL.matcher(i.name()).matches())) {
            inputs.sort(Comparator.comparingInt(i -> Integer.parseInt(i.name().substring("INPUT__".length()))));
            for (int i = 0; i < inputs.size(); i++) {
                if (!inputs.get(i).name().equals("INPUT__" + i)) {
                    throw InferenceError.badRequest("inputs named by position must be INPUT__0 to INPUT__"
                            + (inputs.size() - 1) + "; the request has " + names);
                }
            }
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        List<List<Long>> shapes = new ArrayList<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (Oip.InputTensor input : inputs) {
            String what = "input '" + input.name() + "'";
            Datatype datatype = Datatype.parse(input.datatype())
                    .orElseThrow(() ->
                            InferenceError.badRequest(what + ": datatype '" + input.datatype() + "' is not supported"));
            if (input.shape() == null) {
                throw InferenceError.badRequest(what + " has no shape");
            }
            TensorSpec spec = new TensorSpec(
                    input.name(), datatype, input.shape().stream().map(d -> -1L).toList());
            buffers.add(pack(spec, input));
            shapes.add(List.copyOf(input.shape()));
            specs.add(new TensorSpec(input.name(), datatype, List.copyOf(input.shape())));
        }
        return new ValidatedRequest(request.id(), 1, buffers, shapes, requestedOutputs(request), specs);
    }

    private ByteBuffer pack(TensorSpec spec, Oip.InputTensor input) {
        String what = "input '" + spec.name() + "'";
        if (input.datatype() == null) {
            throw InferenceError.badRequest(what + " has no datatype; the model expects " + spec.datatype());
        }
        Datatype requested = Datatype.parse(input.datatype())
                .orElseThrow(() ->
                        InferenceError.badRequest(what + ": datatype '" + input.datatype() + "' is not supported"));
        if (!spec.datatype().accepts(requested)) {
            throw InferenceError.badRequest(
                    what + ": datatype " + requested + " does not match the model's " + spec.datatype());
        }
        List<Long> shape = input.shape();
        if (shape == null) {
            throw InferenceError.badRequest(what + " has no shape; the model expects " + spec.shape());
        }
        if (shape.size() != spec.shape().size()) {
            throw InferenceError.badRequest(what + ": shape " + shape + " has rank " + shape.size()
                    + ", the model expects rank " + spec.shape().size() + " " + spec.shape());
        }
        // Empty tensors are not served: a 0 would also let [200000, 3, 48, 0] pass as 200,000 rows of nothing.
        long elements = 1;
        for (int d = 0; d < shape.size(); d++) {
            Long dim = shape.get(d);
            long expected = spec.shape().get(d);
            if (dim == null || dim < 0 || (expected >= 0 && dim != expected)) {
                throw InferenceError.badRequest(what + ": shape " + shape + " does not match the model's "
                        + spec.shape() + " at dimension " + d);
            }
            if (dim == 0) {
                throw InferenceError.badRequest(what + ": shape " + shape + " has size 0 at dimension " + d
                        + "; every dimension must be at least 1");
            }
            // Both factors are checked, so the product cannot overflow (and pass as a small count).
            if (dim > MAX_ELEMENTS || elements * dim > MAX_ELEMENTS) {
                throw InferenceError.badRequest(what + ": shape " + shape + " is too large");
            }
            elements *= dim;
        }
        if (input.data() == null) {
            throw InferenceError.badRequest(what + " has no data"
                    + (BinaryTensorData.isBinary(input.parameters())
                            ? " (binary_data_size needs the " + BinaryTensorData.HEADER + " header)"
                            : ""));
        }
        if (input.data().size() != elements) {
            throw InferenceError.badRequest(what + ": shape " + shape + " needs " + elements + " values, data has "
                    + input.data().size());
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) elements * spec.datatype().carrierBytes())
                .order(ByteOrder.nativeOrder());
        try {
            spec.datatype().write(input.data(), buffer);
        } catch (IllegalArgumentException e) {
            throw InferenceError.badRequest(what + ": " + e.getMessage());
        }
        return buffer.flip();
    }

    private Set<String> requestedOutputs(Oip.InferRequest request) {
        if (request.outputs() == null || request.outputs().isEmpty()) {
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        for (Oip.RequestedOutput output : request.outputs()) {
            // Outputs nothing describes are known once the engine returns them: BatchExecutor checks those names.
            if (output == null
                    || output.name() == null
                    || (!signature.outputs().isEmpty()
                            && signature.output(output.name()).isEmpty())) {
                throw InferenceError.badRequest("unknown output '" + (output == null ? null : output.name())
                        + "'; the model returns "
                        + signature.outputs().stream().map(TensorSpec::name).toList());
            }
            names.add(output.name());
        }
        return names;
    }

    private Object inputNames() {
        return signature.inputsKnown()
                ? signature.inputs().stream().map(TensorSpec::name).toList()
                : "inputs by position (its signature is not known)";
    }
}
