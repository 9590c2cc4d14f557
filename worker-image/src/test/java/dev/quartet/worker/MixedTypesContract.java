package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** INT64, INT32 and BOOL tensors in and out, for either engine, checked against the engine called directly. */
abstract class MixedTypesContract {

    static final String INFER = "/v2/models/mixed/infer";

    abstract ModelFormat format();

    abstract String modelFile();

    static Map<String, Object> body(long[] ids, int[] weights, boolean[] mask, int rows) {
        List<Long> shape = List.of((long) rows, 4L);
        return Requests.infer(
                Requests.tensor("ids", "INT64", shape, ids),
                Requests.tensor("weights", "INT32", shape, weights),
                Requests.tensor("mask", "BOOL", shape, mask));
    }

    /** Loading runs in the background; JUnit may run any test of the class first. */
    @BeforeEach
    void ready() throws InterruptedException {
        WorkerReady.await();
    }

    @Test
    void integerAndBooleanTensorsMatchTheEngine() throws Exception {
        long big = 3_000_000_000L;
        long[] ids = {1, 2, 0, 4, 5, -1, 7, big};
        int[] weights = {1, 1, 1, 1, 2, 2, 2, 2};
        boolean[] mask = {true, false, true, true, true, true, false, true};
        JsonPath answer = given().contentType(ContentType.JSON)
                .body(body(ids, weights, mask, 2))
                .post(INFER)
                .then()
                .statusCode(200)
                .body("outputs.name", equalTo(List.of("weighted_sum", "count", "kept")))
                .body("outputs.datatype", equalTo(List.of("INT64", "INT32", "BOOL")))
                .body("outputs[0].shape", equalTo(List.of(2)))
                .body("outputs[2].shape", equalTo(List.of(2, 4)))
                .extract()
                .jsonPath();
        long[] sums = Requests.longs(answer.getList("outputs[0].data", Long.class));
        long[] counts = Requests.longs(answer.getList("outputs[1].data", Long.class));
        List<Boolean> kept = answer.getList("outputs[2].data", Boolean.class);
        // Worked by hand: row 0 keeps ids 1 and 4; row 1 keeps 5 and 3e9 (−1 is masked by ids > 0).
        assertArrayEquals(new long[] {5, 10 + 2 * big}, sums);
        assertArrayEquals(new long[] {2, 2}, counts);
        assertEquals(List.of(true, false, false, true, true, false, false, true), kept);

        try (EngineReference reference = new EngineReference(Path.of("models", modelFile()), format())) {
            List<List<?>> direct = reference.run(
                    m -> {
                        NDList in = new NDList(
                                EngineReference.named(m.create(ids, new Shape(2, 4)), "ids"),
                                EngineReference.named(m.create(weights, new Shape(2, 4)), "weights"),
                                EngineReference.named(m.create(mask, new Shape(2, 4)), "mask"));
                        return in;
                    },
                    EngineReference::values);
            assertEquals(direct.get(0), answer.getList("outputs[0].data", Long.class));
            assertEquals(direct.get(1), answer.getList("outputs[1].data", Integer.class));
            assertEquals(direct.get(2), kept);
        }
    }

    @Test
    void binaryIntegerAndBooleanTensors() throws Exception {
        java.nio.ByteBuffer ids = java.nio.ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ids.asLongBuffer().put(new long[] {1, 2, 3, 4});
        java.nio.ByteBuffer weights = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        weights.asIntBuffer().put(new int[] {1, 10, 100, 1000});
        byte[] mask = {1, 0, 1, 1};
        List<Long> shape = List.of(1L, 4L);
        Object[] body = Requests.binaryBody(
                Requests.infer(
                        Requests.binaryTensor("ids", "INT64", shape, 32),
                        Requests.binaryTensor("weights", "INT32", shape, 16),
                        Requests.binaryTensor("mask", "BOOL", shape, 4)),
                ids.array(),
                weights.array(),
                mask);
        given().header(BinaryTensorData.HEADER, body[0])
                .body((byte[]) body[1])
                .post(INFER)
                .then()
                .statusCode(200)
                .body("outputs[0].data", equalTo(List.of(1 + 300 + 4000)))
                .body("outputs[1].data", equalTo(List.of(3)))
                .body("outputs[2].data", equalTo(List.of(true, false, true, true)));
    }

    @Test
    void requestedOutputsOnly() {
        given().contentType(ContentType.JSON)
                .body(withOutputs(body(new long[4], new int[4], new boolean[4], 1)))
                .post(INFER)
                .then()
                .statusCode(200)
                .body("outputs.name", equalTo(List.of("count")))
                .body("outputs[0].data", equalTo(List.of(0)));
    }

    @Test
    void valuesOutsideTheDatatypeAre400() {
        given().contentType(ContentType.JSON)
                .body(body(new long[4], new int[4], new boolean[4], 1))
                .post(INFER)
                .then()
                .statusCode(200);
        Map<String, Object> overflow = Requests.infer(
                Requests.tensor("ids", "INT64", List.of(1L, 4L), new long[4]),
                Requests.tensor("weights", "INT32", List.of(1L, 4L), new long[] {1, 2, 3, 4_000_000_000L}),
                Requests.tensor("mask", "BOOL", List.of(1L, 4L), new boolean[4]));
        given().contentType(ContentType.JSON)
                .body(overflow)
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("does not fit INT32"));
        Map<String, Object> fractional = Requests.infer(
                Requests.tensor("ids", "INT64", List.of(1L, 4L), new double[] {1.5, 0, 0, 0}),
                Requests.tensor("weights", "INT32", List.of(1L, 4L), new int[4]),
                Requests.tensor("mask", "BOOL", List.of(1L, 4L), new boolean[4]));
        given().contentType(ContentType.JSON)
                .body(fractional)
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("must be integers, found 1.5"));
        Map<String, Object> numericMask = Requests.infer(
                Requests.tensor("ids", "INT64", List.of(1L, 4L), new long[4]),
                Requests.tensor("weights", "INT32", List.of(1L, 4L), new int[4]),
                Requests.tensor("mask", "BOOL", List.of(1L, 4L), new int[] {1, 0, 1, 0}));
        given().contentType(ContentType.JSON)
                .body(numericMask)
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("BOOL data must be JSON true/false"));
        Map<String, Object> disagree = Requests.infer(
                Requests.tensor("ids", "INT64", List.of(2L, 4L), new long[8]),
                Requests.tensor("weights", "INT32", List.of(1L, 4L), new int[4]),
                Requests.tensor("mask", "BOOL", List.of(1L, 4L), new boolean[4]));
        given().contentType(ContentType.JSON)
                .body(disagree)
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("disagree on the batch dimension"));
    }

    private static Map<String, Object> withOutputs(Map<String, Object> body) {
        Map<String, Object> copy = new java.util.HashMap<>(body);
        copy.put("outputs", List.of(Map.of("name", "count")));
        return copy;
    }
}
