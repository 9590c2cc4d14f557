package dev.quartet.worker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds OIP request bodies (as maps Jackson serialises) and seeded test inputs. */
final class Requests {

    private Requests() {}

    /** One input tensor. */
    static Map<String, Object> tensor(String name, String datatype, List<Long> shape, Object data) {
        Map<String, Object> tensor = new LinkedHashMap<>();
        tensor.put("name", name);
        tensor.put("datatype", datatype);
        tensor.put("shape", shape);
        tensor.put("data", data);
        return tensor;
    }

    /** A request body with these inputs. */
    @SafeVarargs
    static Map<String, Object> infer(Map<String, Object>... inputs) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", "test");
        body.put("inputs", List.of(inputs));
        return body;
    }

    /** {@code rows} images of 3x32x32 seeded floats in [-1, 1). */
    static float[] images(int rows, long seed) {
        Random random = new Random(seed);
        float[] data = new float[rows * 3 * 32 * 32];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextFloat() * 2 - 1;
        }
        return data;
    }

    /** The tiny ResNet's input tensor for {@code rows} images. */
    static Map<String, Object> image(int rows, float[] data) {
        return tensor("image", "FP32", List.of((long) rows, 3L, 32L, 32L), data);
    }

    /** A binary-extension body: the JSON header followed by {@code binary}; returns {json length, body}. */
    static Object[] binaryBody(Map<String, Object> header, byte[]... binary) throws Exception {
        byte[] json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(header);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.write(json);
        for (byte[] b : binary) {
            body.write(b);
        }
        return new Object[] {String.valueOf(json.length), body.toByteArray()};
    }

    /** Little-endian bytes of floats. */
    static byte[] le(float[] values) {
        java.nio.ByteBuffer out =
                java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(values);
        return out.array();
    }

    /** A binary input tensor (no data, a byte count). */
    static Map<String, Object> binaryTensor(String name, String datatype, List<Long> shape, int bytes) {
        Map<String, Object> tensor = tensor(name, datatype, shape, null);
        tensor.remove("data");
        tensor.put("parameters", Map.of("binary_data_size", bytes));
        return tensor;
    }

    /** Flattens a JSON number list into floats. */
    static float[] floats(List<? extends Number> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    /** Flattens a JSON number list into longs. */
    static long[] longs(List<? extends Number> values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).longValue();
        }
        return out;
    }

    /** A list of {@code n} copies of nothing, for sizing. */
    static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }
}
