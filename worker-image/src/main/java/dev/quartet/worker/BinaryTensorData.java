package dev.quartet.worker;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The binary tensor data extension of KServe/Triton's v2 REST protocol: with the header
 * {@code Inference-Header-Content-Length: n}, the body is n bytes of JSON followed by the raw
 * little-endian data of every input whose {@code parameters.binary_data_size} is set, in input order.
 * Outputs are always answered as JSON (clients read either).
 */
public final class BinaryTensorData {

    /** The header naming the JSON part's length. */
    public static final String HEADER = "Inference-Header-Content-Length";

    private static final String SIZE = "binary_data_size";

    private BinaryTensorData() {}

    /**
     * Hands each binary input its bytes.
     *
     * @throws InferenceError (400) when sizes and the binary part disagree
     */
    public static Oip.InferRequest attach(Oip.InferRequest request, ByteBuffer binary) {
        if (request.inputs() == null) {
            return request;
        }
        List<Oip.InputTensor> inputs = new ArrayList<>();
        for (Oip.InputTensor input : request.inputs()) {
            Object size = input == null || input.parameters() == null
                    ? null
                    : input.parameters().get(SIZE);
            if (size == null) {
                inputs.add(input);
                continue;
            }
            String what = "input '" + input.name() + "'";
            if (!(size instanceof Number n) || n.longValue() < 0 || n.doubleValue() != n.longValue()) {
                throw InferenceError.badRequest(what + ": " + SIZE + " must be a byte count, not " + size);
            }
            if (input.data() != null) {
                throw InferenceError.badRequest(what + " has both JSON data and " + SIZE);
            }
            if (n.longValue() > binary.remaining()) {
                throw InferenceError.badRequest(what + ": " + SIZE + " " + n + " exceeds the " + binary.remaining()
                        + " binary bytes left in the body");
            }
            ByteBuffer slice = binary.slice();
            slice.limit((int) n.longValue());
            binary.position(binary.position() + (int) n.longValue());
            Datatype datatype = Datatype.parse(input.datatype())
                    .orElseThrow(() ->
                            InferenceError.badRequest(what + ": datatype '" + input.datatype() + "' is not supported"));
            try {
                inputs.add(new Oip.InputTensor(
                        input.name(),
                        input.shape(),
                        input.datatype(),
                        input.parameters(),
                        TensorData.binary(datatype, slice)));
            } catch (IllegalArgumentException e) {
                throw InferenceError.badRequest(what + ": " + e.getMessage());
            }
        }
        if (binary.hasRemaining()) {
            throw InferenceError.badRequest(binary.remaining() + " bytes of binary data belong to no input (set " + SIZE
                    + " on each binary input)");
        }
        return new Oip.InferRequest(request.id(), request.parameters(), inputs, request.outputs());
    }

    /** Whether a parameters map marks binary data. */
    static boolean isBinary(Map<String, Object> parameters) {
        return parameters != null && parameters.containsKey(SIZE);
    }
}
