package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A full queue answers 503 with Retry-After; the requests already admitted still get their answers. An engine
 * call that does not return takes readiness down, then liveness (thresholds of 1 s and 2 s here), and both come
 * back once it returns.
 */
@QuarkusTest
@TestProfile(QueueFullTest.Profile.class)
class QueueFullTest {

    /** Serves mixed-types.onnx as "mixed". */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quartet.model.uri", "models/mixed-types.onnx", "quartet.model.name", "mixed",
                    "quartet.health.engine-stuck-after", "1s", "quartet.health.engine-dead-after", "2s");
        }
    }

    @Inject
    ServedModel served;

    @Inject
    ObjectMapper mapper;

    @Test
    void fullQueueIs503WithRetryAfter() throws Exception {
        WorkerReady.await();
        // Hold the engine: the real executor behind a gate, one request at a time, queue of one.
        LoadedModel model = LoadedModel.load(Path.of("models/mixed-types.onnx"), ModelFormat.ONNX, mapper, 1);
        BatchExecutor engine = new BatchExecutor(model, (rows, nanos) -> { });
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BatchRunner gated = requests -> {
            running.countDown();
            await(release);
            return engine.run(requests);
        };
        served.ready(model, new DynamicBatcher(gated, new DynamicBatcher.Limits(1, 0, 1), true),
                ServingDevice.of(Device.cpu()));

        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> send(1));
        assertTrue(running.await(30, TimeUnit.SECONDS), "first request reached the engine");
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> send(2));
        for (int i = 0; i < 300 && served.queueDepth() < 1; i++) {
            Thread.sleep(100);
        }
        assertEquals(1, served.queueDepth(), "second request waits in the queue");

        given().contentType(ContentType.JSON).body(MixedTypesContract.body(new long[4], new int[4], new boolean[4], 1))
                .post(MixedTypesContract.INFER).then().statusCode(503).header("Retry-After", "1")
                .body("error", containsString("queue is full"));
        given().contentType(ContentType.JSON).body("{\"inputs\": [not json").post(MixedTypesContract.INFER).then()
                .statusCode(503).body("error", containsString("queue is full")); // refused before it is parsed

        while (served.longestEngineCall().toMillis() < 2500) {
            Thread.sleep(100);
        }
        given().get("/q/health/ready").then().statusCode(503).body(containsString("a call has run for"));
        given().get("/q/health/live").then().statusCode(503).body(containsString("more than 2 s"));
        given().get("/v2/health/ready").then().statusCode(503);
        given().get("/v2/health/live").then().statusCode(503);

        release.countDown();
        assertEquals(4, first.get(30, TimeUnit.SECONDS));
        assertEquals(8, second.get(30, TimeUnit.SECONDS));
        String metrics = given().get("/q/metrics").then().extract().asString();
        assertTrue(metrics.contains("outcome=\"rejected\""), "rejections are counted");
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
        given().get("/v2/health/ready").then().statusCode(200);
        given().get("/v2/health/live").then().statusCode(200);
    }

    private static int send(int id) {
        return given().contentType(ContentType.JSON)
                .body(MixedTypesContract.body(new long[] {id, id, id, id}, new int[] {1, 1, 1, 1},
                        new boolean[] {true, true, true, true}, 1))
                .post(MixedTypesContract.INFER).then().statusCode(200).body("outputs[0].shape", equalTo(List.of(1)))
                .extract().jsonPath().getInt("outputs[0].data[0]");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
