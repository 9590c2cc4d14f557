package dev.quartet.worker;

import com.google.protobuf.ByteString;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates OIP v2 gRPC messages to the worker's requests and back: {@code raw_input_contents} are read in place
 * as little-endian bytes (as the REST binary extension is), typed {@code contents} are packed the same way, so both
 * reach the one validator and batcher REST requests go through. Answers are raw when the request was raw (what
 * Triton and its clients do) and typed when it was typed, unless an output has no typed field (FP16).
 */
final class GrpcTensors {

    private GrpcTensors() {}

    /**
     * The request as the validator takes it.
     *
     * @throws InferenceError (400) for contents that do not match their datatype or the raw contents' count
     */
    static Oip.InferRequest request(ModelInferRequest request) {
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw InferenceError.badRequest("raw_input_contents has " + request.getRawInputContentsCount()
                    + " entries for " + request.getInputsCount() + " inputs; give one per input, in input order");
        }
        List<Oip.InputTensor> inputs = new ArrayList<>();
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor input = request.getInputs(i);
            String what = "input '" + input.getName() + "'";
            Datatype datatype = Datatype.parse(input.getDatatype())
                    .orElseThrow(() -> InferenceError.badRequest(
                            what + ": datatype '" + input.getDatatype() + "' is not supported"));
            TensorData data;
            if (raw) {
                if (input.hasContents()) {
                    throw InferenceError.badRequest(
                            what + " has typed contents while the request uses raw_input_contents");
                }
                data = binary(what, datatype, request.getRawInputContents(i).asReadOnlyByteBuffer());
            } else {
                data = binary(what, datatype, typed(what, datatype, input.getContents()));
            }
            inputs.add(new Oip.InputTensor(
                    input.getName().isEmpty() ? null : input.getName(),
                    input.getShapeList(),
                    input.getDatatype(),
                    null,
                    data));
        }
        List<Oip.RequestedOutput> outputs = request.getOutputsList().stream()
                .map(o -> new Oip.RequestedOutput(o.getName(), null))
                .toList();
        return new Oip.InferRequest(
                request.getId().isEmpty() ? null : request.getId(), null, inputs, outputs.isEmpty() ? null : outputs);
    }

    private static TensorData binary(String what, Datatype datatype, ByteBuffer bytes) {
        try {
            return TensorData.binary(datatype, bytes);
        } catch (IllegalArgumentException e) {
            throw InferenceError.badRequest(what + ": " + e.getMessage());
        }
    }

    /** Typed contents as the little-endian bytes of {@code datatype}, refusing any other field and values out of range. */
    private static ByteBuffer typed(String what, Datatype datatype, InferTensorContents c) {
        String field = field(datatype);
        if (field == null) {
            throw InferenceError.badRequest(what + ": " + datatype + " has no typed contents field; send it as "
                    + "raw_input_contents (little-endian bytes)");
        }
        List<String> present = new ArrayList<>();
        if (c.getBoolContentsCount() > 0) present.add("bool_contents");
        if (c.getIntContentsCount() > 0) present.add("int_contents");
        if (c.getInt64ContentsCount() > 0) present.add("int64_contents");
        if (c.getUintContentsCount() > 0) present.add("uint_contents");
        if (c.getUint64ContentsCount() > 0) present.add("uint64_contents");
        if (c.getFp32ContentsCount() > 0) present.add("fp32_contents");
        if (c.getFp64ContentsCount() > 0) present.add("fp64_contents");
        if (c.getBytesContentsCount() > 0) present.add("bytes_contents");
        present.remove(field);
        if (!present.isEmpty()) {
            throw InferenceError.badRequest(
                    what + " is " + datatype + ", whose values go in " + field + ", but it gives " + present);
        }
        return switch (datatype) {
            case BOOL -> {
                ByteBuffer out = ByteBuffer.allocate(c.getBoolContentsCount());
                c.getBoolContentsList().forEach(b -> out.put((byte) (b ? 1 : 0)));
                yield out.flip();
            }
            case UINT8 -> {
                ByteBuffer out = ByteBuffer.allocate(c.getUintContentsCount());
                for (int i = 0; i < c.getUintContentsCount(); i++) {
                    out.put((byte) inRange(what, i, Integer.toUnsignedLong(c.getUintContents(i)), 0, 255, datatype));
                }
                yield out.flip();
            }
            case INT8, INT16, INT32 -> {
                int width = datatype.engineType().getNumOfBytes();
                long min =
                        datatype == Datatype.INT8 ? Byte.MIN_VALUE : datatype == Datatype.INT16 ? Short.MIN_VALUE : 0;
                long max =
                        datatype == Datatype.INT8 ? Byte.MAX_VALUE : datatype == Datatype.INT16 ? Short.MAX_VALUE : 0;
                ByteBuffer out =
                        ByteBuffer.allocate(c.getIntContentsCount() * width).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < c.getIntContentsCount(); i++) {
                    int v = c.getIntContents(i);
                    switch (datatype) {
                        case INT8 -> out.put((byte) inRange(what, i, v, min, max, datatype));
                        case INT16 -> out.putShort((short) inRange(what, i, v, min, max, datatype));
                        default -> out.putInt(v);
                    }
                }
                yield out.flip();
            }
            case INT64 -> {
                ByteBuffer out =
                        ByteBuffer.allocate(c.getInt64ContentsCount() * 8).order(ByteOrder.LITTLE_ENDIAN);
                c.getInt64ContentsList().forEach(out::putLong);
                yield out.flip();
            }
            case FP32 -> {
                ByteBuffer out =
                        ByteBuffer.allocate(c.getFp32ContentsCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < c.getFp32ContentsCount(); i++) {
                    out.putFloat(c.getFp32Contents(i));
                }
                yield out.flip();
            }
            default -> {
                ByteBuffer out =
                        ByteBuffer.allocate(c.getFp64ContentsCount() * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < c.getFp64ContentsCount(); i++) {
                    out.putDouble(c.getFp64Contents(i));
                }
                yield out.flip();
            }
        };
    }

    private static long inRange(String what, int index, long value, long min, long max, Datatype datatype) {
        if (value < min || value > max) {
            throw InferenceError.badRequest(
                    what + ": value " + value + " at index " + index + " does not fit " + datatype);
        }
        return value;
    }

    /** The typed contents field of a datatype, or null when it has none (FP16). */
    static String field(Datatype datatype) {
        return switch (datatype) {
            case BOOL -> "bool_contents";
            case UINT8 -> "uint_contents";
            case INT8, INT16, INT32 -> "int_contents";
            case INT64 -> "int64_contents";
            case FP32 -> "fp32_contents";
            case FP64 -> "fp64_contents";
            case FP16 -> null;
        };
    }

    /** The answer: raw contents when {@code raw} or when an output has no typed field, typed contents otherwise. */
    static ModelInferResponse response(
            String model, String version, String id, List<Oip.OutputTensor> outputs, boolean raw) {
        boolean allRaw = raw || outputs.stream().anyMatch(o -> field(Datatype.valueOf(o.datatype())) == null);
        ModelInferResponse.Builder response =
                ModelInferResponse.newBuilder().setModelName(model).setModelVersion(version);
        if (id != null) {
            response.setId(id);
        }
        for (Oip.OutputTensor output : outputs) {
            ModelInferResponse.InferOutputTensor.Builder tensor = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(output.name())
                    .setDatatype(output.datatype())
                    .addAllShape(output.shape());
            Datatype datatype = Datatype.valueOf(output.datatype());
            if (allRaw) {
                response.addRawOutputContents(ByteString.copyFrom(rawBytes(datatype, output.data())));
            } else {
                tensor.setContents(contents(datatype, output.data()));
            }
            response.addOutputs(tensor);
        }
        return response.build();
    }

    /** An output's values (the primitive array {@link Datatype#read} made) as little-endian bytes of its datatype. */
    static ByteBuffer rawBytes(Datatype datatype, Object data) {
        ByteBuffer out;
        switch (datatype) {
            case BOOL -> {
                boolean[] v = (boolean[]) data;
                out = ByteBuffer.allocate(v.length);
                for (boolean b : v) {
                    out.put((byte) (b ? 1 : 0));
                }
            }
            case UINT8, INT8, INT16, INT32 -> {
                int[] v = (int[]) data;
                int width = datatype.engineType().getNumOfBytes();
                out = ByteBuffer.allocate(v.length * width).order(ByteOrder.LITTLE_ENDIAN);
                for (int x : v) {
                    switch (width) {
                        case 1 -> out.put((byte) x);
                        case 2 -> out.putShort((short) x);
                        default -> out.putInt(x);
                    }
                }
            }
            case INT64 -> {
                long[] v = (long[]) data;
                out = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                out.asLongBuffer().put(v);
                out.position(v.length * 8);
            }
            case FP64 -> {
                double[] v = (double[]) data;
                out = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                out.asDoubleBuffer().put(v);
                out.position(v.length * 8);
            }
            case FP16 -> {
                float[] v = (float[]) data;
                out = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    out.putShort(BatchExecutor.floatToHalf(f));
                }
            }
            default -> {
                float[] v = (float[]) data;
                out = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                out.asFloatBuffer().put(v);
                out.position(v.length * 4);
            }
        }
        return out.flip();
    }

    private static InferTensorContents contents(Datatype datatype, Object data) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        switch (datatype) {
            case BOOL -> {
                for (boolean b : (boolean[]) data) {
                    c.addBoolContents(b);
                }
            }
            case UINT8 -> {
                for (int x : (int[]) data) {
                    c.addUintContents(x);
                }
            }
            case INT8, INT16, INT32 -> {
                for (int x : (int[]) data) {
                    c.addIntContents(x);
                }
            }
            case INT64 -> {
                for (long x : (long[]) data) {
                    c.addInt64Contents(x);
                }
            }
            case FP64 -> {
                for (double x : (double[]) data) {
                    c.addFp64Contents(x);
                }
            }
            default -> {
                for (float x : (float[]) data) {
                    c.addFp32Contents(x);
                }
            }
        }
        return c.build();
    }
}
