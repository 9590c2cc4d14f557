package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a client of the tiny ResNet sees, for either engine: outputs equal to the engine called
 * directly, batching that changes nothing in the answers, and an OIP error for every bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TinyResNetContract {

    static final String INFER = "/v2/models/tiny-resnet/infer";
    static final float TOLERANCE = 1e-4f;

    private EngineReference reference;

    abstract ModelFormat format();

    abstract String modelFile();

    @BeforeEach
    void loadReference() throws Exception {
        WorkerReady.await();
        if (reference == null) {
            reference = new EngineReference(Path.of("models", modelFile()), format());
        }
    }

    @AfterAll
    void closeReference() {
        if (reference != null) {
            reference.close();
        }
    }

    @Test
    void metadataDescribesTheModelAndTheDevice() {
        given().get("/v2/models/tiny-resnet")
                .then()
                .statusCode(200)
                .body("name", equalTo("tiny-resnet"))
                .body("platform", equalTo(format().platform()))
                .body("inputs[0].name", equalTo("image"))
                .body("inputs[0].datatype", equalTo("FP32"))
                .body("inputs[0].shape", equalTo(List.of(-1, 3, 32, 32)))
                .body("outputs[0].name", equalTo("logits"))
                .body("outputs[0].shape", equalTo(List.of(-1, 10)))
                .body("parameters.device", equalTo("cpu"))
                .body("parameters.mig_device", equalTo("MIG-test-0000"));
        given().get("/v2").then().statusCode(200).body("name", equalTo("quartet-worker"));
        given().get("/v2/health/live").then().statusCode(200);
        given().get("/v2/health/ready").then().statusCode(200);
        given().get("/v2/models/tiny-resnet/ready").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void outputsEqualTheEngineCalledDirectly() throws Exception {
        float[] images = Requests.images(3, 42);
        JsonPath answer = given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.image(3, images)))
                .post(INFER)
                .then()
                .statusCode(200)
                .body("model_name", equalTo("tiny-resnet"))
                .body("id", equalTo("test"))
                .body("outputs[0].name", equalTo("logits"))
                .body("outputs[0].datatype", equalTo("FP32"))
                .body("outputs[0].shape", equalTo(List.of(3, 10)))
                .extract()
                .jsonPath();
        float[] served = Requests.floats(answer.getList("outputs[0].data", Float.class));
        assertArrayEquals(reference.logits(images, 3), served, TOLERANCE);
    }

    @Test
    void binaryTensorDataEqualsTheEngine() throws Exception {
        float[] images = Requests.images(2, 77);
        Object[] body = Requests.binaryBody(
                Requests.infer(Requests.binaryTensor("image", "FP32", List.of(2L, 3L, 32L, 32L), images.length * 4)),
                Requests.le(images));
        float[] served = Requests.floats(given().contentType("application/octet-stream")
                .header(BinaryTensorData.HEADER, body[0])
                .body((byte[]) body[1])
                .post(INFER)
                .then()
                .statusCode(200)
                .body("outputs[0].shape", equalTo(List.of(2, 10)))
                .extract()
                .jsonPath()
                .getList("outputs[0].data", Float.class));
        assertArrayEquals(reference.logits(images, 2), served, TOLERANCE);
    }

    @Test
    void binaryDataThatDoesNotAddUpIs400() throws Exception {
        float[] images = Requests.images(1, 78);
        Object[] shortBody = Requests.binaryBody(
                Requests.infer(Requests.binaryTensor("image", "FP32", List.of(1L, 3L, 32L, 32L), images.length * 4)),
                new byte[100]);
        given().header(BinaryTensorData.HEADER, shortBody[0])
                .body((byte[]) shortBody[1])
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("exceeds the 100 binary bytes left"));
        Object[] extra = Requests.binaryBody(
                Requests.infer(Requests.binaryTensor("image", "FP32", List.of(1L, 3L, 32L, 32L), images.length * 4)),
                Requests.le(images),
                new byte[8]);
        given().header(BinaryTensorData.HEADER, extra[0])
                .body((byte[]) extra[1])
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("8 bytes of binary data belong to no input"));
        given().header(BinaryTensorData.HEADER, "99999999")
                .body((byte[]) extra[1])
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("does not fit"));
        given().contentType(ContentType.JSON)
                .body(Requests.infer(
                        Requests.binaryTensor("image", "FP32", List.of(1L, 3L, 32L, 32L), images.length * 4)))
                .post(INFER)
                .then()
                .statusCode(400)
                .body("error", containsString("needs the Inference-Header-Content-Length header"));
    }

    @Test
    void concurrentRequestsAreBatchedAndSplitBackExactly() throws Exception {
        // Whether requests meet in a batch depends on timing: bursts are repeated until one merged (each checked).
        boolean merged = false;
        for (int burst = 0; burst < 5 && !merged; burst++) {
            merged = burstOfClients(12, 1000 + 100 * burst);
        }
        assertTrue(merged, "no two of 5 x 12 concurrent requests shared an engine call");
    }

    /** {@code clients} concurrent requests, each answer exactly the request's own; whether any shared a call. */
    private boolean burstOfClients(int clients, int seed) throws Exception {
        double[] before = batchStats();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[]>> answers = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int rows = 1 + c % 2;
                float[] images = Requests.images(rows, seed + c);
                answers.add(pool.submit(() -> {
                    start.await();
                    return Requests.floats(given().contentType(ContentType.JSON)
                            .body(Requests.infer(Requests.image(rows, images)))
                            .post(INFER)
                            .then()
                            .statusCode(200)
                            .body("outputs[0].shape", equalTo(List.of(rows, 10)))
                            .extract()
                            .jsonPath()
                            .getList("outputs[0].data", Float.class));
                }));
            }
            start.countDown();
            int rowsSent = 0;
            for (int c = 0; c < clients; c++) {
                int rows = 1 + c % 2;
                rowsSent += rows;
                float[] alone = reference.logits(Requests.images(rows, seed + c), rows);
                assertArrayEquals(alone, answers.get(c).get(60, TimeUnit.SECONDS), TOLERANCE, "client " + c);
            }
            double[] after = batchStats();
            assertEquals(rowsSent, after[1] - before[1], 0.0, "every row went through the engine once");
            return after[0] - before[0] < clients;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badRequestsInTheSameBatchDoNotHurtTheGoodOnes() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> bad = new ArrayList<>();
            List<Future<float[]>> good = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                float[] images = Requests.images(1, 7 + c);
                good.add(pool.submit(() -> {
                    start.await();
                    return Requests.floats(given().contentType(ContentType.JSON)
                            .body(Requests.infer(Requests.image(1, images)))
                            .post(INFER)
                            .then()
                            .statusCode(200)
                            .extract()
                            .jsonPath()
                            .getList("outputs[0].data", Float.class));
                }));
                bad.add(pool.submit(() -> {
                    start.await();
                    return given().contentType(ContentType.JSON)
                            .body(Requests.infer(Requests.image(1, new float[100])))
                            .post(INFER)
                            .statusCode();
                }));
            }
            start.countDown();
            for (int c = 0; c < 3; c++) {
                assertEquals(400, bad.get(c).get(60, TimeUnit.SECONDS));
                assertArrayEquals(
                        reference.logits(Requests.images(1, 7 + c), 1),
                        good.get(c).get(60, TimeUnit.SECONDS),
                        TOLERANCE);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void malformedJsonIs400() {
        rejected("{\"inputs\": [", 400, "malformed request JSON");
        rejected(
                "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [1.5], \"data\": []}]}",
                400,
                "malformed request JSON");
        rejected(
                "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1, true]}]}",
                400,
                "mixes");
    }

    @Test
    void unknownModelIs404() {
        given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.image(1, Requests.images(1, 1))))
                .post("/v2/models/resnet/infer")
                .then()
                .statusCode(404)
                .body("error", containsString("unknown model 'resnet'"));
        given().get("/v2/models/resnet").then().statusCode(404).body("error", containsString("unknown model"));
        given().get("/v2/models/tiny-resnet/versions/7")
                .then()
                .statusCode(404)
                .body("error", containsString("unknown version"));
    }

    @Test
    void wrongDatatypeIs400() {
        rejected(
                Requests.infer(Requests.tensor("image", "INT64", List.of(1L, 3L, 32L, 32L), new long[3072])),
                "datatype INT64 does not match the model's FP32");
        rejected(
                Requests.infer(Requests.tensor("image", "BYTES", List.of(1L, 3L, 32L, 32L), new long[3072])),
                "datatype 'BYTES' is not supported");
        rejected(
                Requests.infer(Requests.tensor("image", "FP32", List.of(1L, 3L, 32L, 32L), new boolean[3072])),
                "must be numbers");
    }

    @Test
    void fp16IsAcceptedAsFp32Values() throws Exception {
        float[] images = Requests.images(1, 5);
        float[] served = Requests.floats(given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("image", "FP16", List.of(1L, 3L, 32L, 32L), images)))
                .post(INFER)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("outputs[0].data", Float.class));
        assertArrayEquals(reference.logits(images, 1), served, TOLERANCE);
    }

    @Test
    void wrongRankOrShapeIs400() {
        rejected(
                Requests.infer(Requests.tensor("image", "FP32", List.of(3L, 32L, 32L), new float[3072])),
                "has rank 3, the model expects rank 4");
        rejected(
                Requests.infer(Requests.tensor("image", "FP32", List.of(1L, 3L, 32L, 16L), new float[1536])),
                "at dimension 3");
        rejected(
                Requests.infer(Requests.tensor("image", "FP32", List.of(0L, 3L, 32L, 32L), new float[0])),
                "at least 1");
    }

    @Test
    void dataLengthNotMatchingShapeIs400() {
        rejected(Requests.infer(Requests.image(2, new float[3072])), "needs 6144 values, data has 3072");
    }

    @Test
    void unknownOrMissingTensorsAre400() {
        rejected(
                Requests.infer(
                        Requests.image(1, new float[3072]),
                        Requests.tensor("extra", "FP32", List.of(1L), new float[1])),
                "unknown input 'extra'");
        rejected(Map.of("inputs", List.of()), "request has no inputs");
        Map<String, Object> body = new java.util.HashMap<>(Requests.infer(Requests.image(1, new float[3072])));
        body.put("outputs", List.of(Map.of("name", "probabilities")));
        rejected(body, "unknown output 'probabilities'");
    }

    @Test
    void nestedDataIsAcceptedRowMajor() throws Exception {
        float[] images = Requests.images(1, 9);
        List<List<List<List<Float>>>> nested = new ArrayList<>();
        int i = 0;
        List<List<List<Float>>> image = new ArrayList<>();
        for (int ch = 0; ch < 3; ch++) {
            List<List<Float>> plane = new ArrayList<>();
            for (int y = 0; y < 32; y++) {
                List<Float> row = new ArrayList<>();
                for (int x = 0; x < 32; x++) {
                    row.add(images[i++]);
                }
                plane.add(row);
            }
            image.add(plane);
        }
        nested.add(image);
        float[] served = Requests.floats(given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("image", "FP32", List.of(1L, 3L, 32L, 32L), nested)))
                .post(INFER)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("outputs[0].data", Float.class));
        assertArrayEquals(reference.logits(images, 1), served, TOLERANCE);
    }

    @Test
    void oversizedBodyIs413() {
        // The test profile limits bodies to 2 MiB (quartet.max-request-size).
        given().contentType(ContentType.JSON)
                .body(new byte[3 * 1024 * 1024])
                .post(INFER)
                .then()
                .statusCode(413)
                .contentType(ContentType.JSON)
                .body("error", containsString("exceeds the limit of 2097152 bytes"));
    }

    @Test
    void aChunkedBodyOverTheLimitIs413BeforeItEnds() throws Exception {
        // No Content-Length: the size shows only as the body arrives. The body never ends (no last chunk), so
        // only a server that stops reading at the limit answers.
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + INFER + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) ' ');
            byte[] header = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 64; i++) { // 4 MiB, twice the test profile's limit
                        out.write(header);
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (IOException closedByTheServer) {
                    // expected once the server refused the body
                }
            });
            String status = new BufferedReader(
                            new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertTrue(status != null && status.startsWith("HTTP/1.1 413"), "status line: " + status);
        }
    }

    @Test
    void metricsCarryModelMigDeviceAndDeployment() {
        given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.image(1, Requests.images(1, 3))))
                .post(INFER)
                .then()
                .statusCode(200);
        rejected(Requests.infer(Requests.image(2, new float[3])), "needs");
        String metrics =
                given().get("/q/metrics").then().statusCode(200).extract().asString();
        // The test profile names the replica as the operator would (application.properties).
        String labels =
                "deployment=\"resnet\",mig_device=\"MIG-test-0000\",mig_profile=\"1g.6gb\",model=\"tiny-resnet\"";
        for (String expected : List.of(
                "quartet_worker_requests_total{" + labels + ",outcome=\"ok\",protocol=\"http\"}",
                "quartet_worker_requests_total{" + labels + ",outcome=\"bad_request\",protocol=\"http\"}",
                "quartet_worker_request_duration_seconds_bucket{" + labels,
                "quartet_worker_inference_duration_seconds_bucket{" + labels,
                "quartet_worker_batch_size_bucket{" + labels + ",le=\"8.0\"}",
                "quartet_worker_queue_depth{" + labels + "} 0.0",
                "quartet_worker_requests_in_flight{" + labels + "} 0.0",
                "quartet_worker_queue_depth_seconds_total{" + labels + "} ",
                "quartet_worker_requests_in_flight_seconds_total{" + labels + "} ")) {
            assertTrue(metrics.contains(expected), "metrics contain " + expected);
        }
    }

    private static void rejected(Object body, String message) {
        rejected(body, 400, message);
    }

    private static void rejected(Object body, int status, String message) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post(INFER)
                .then()
                .statusCode(status)
                .contentType(ContentType.JSON)
                .body("error", containsString(message));
    }

    /** [count, sum] of the batch-size histogram. */
    static double[] batchStats() {
        String metrics =
                given().get("/q/metrics").then().statusCode(200).extract().asString();
        return new double[] {
            metric(metrics, "quartet_worker_batch_size_count"), metric(metrics, "quartet_worker_batch_size_sum")
        };
    }

    private static double metric(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} ([0-9.eE+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
