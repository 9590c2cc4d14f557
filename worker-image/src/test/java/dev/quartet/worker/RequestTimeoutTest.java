package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Over HTTP, with {@code QUARTET_BATCHING_REQUEST_TIMEOUT} at 1 s and the engine held: the request in the engine
 * and the one queued behind it both get 504 after the timeout, the queued one never reaches the engine once it
 * is released, and the next request is answered.
 */
@QuarkusTest
@TestProfile(RequestTimeoutTest.Profile.class)
class RequestTimeoutTest {

    /** Serves mixed-types.onnx as "mixed", with a request timeout of 1 s. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quartet.model.uri", "models/mixed-types.onnx", "quartet.model.name", "mixed",
                    "quartet.batching.request-timeout", "1s");
        }
    }

    @Inject
    ServedModel served;

    @Inject
    ObjectMapper mapper;

    @Test
    void aRequestPastItsTimeoutIs504AndAQueuedOneNeverReachesTheEngine() throws Exception {
        WorkerReady.await();
        LoadedModel model = LoadedModel.load(Path.of("models/mixed-types.onnx"), ModelFormat.ONNX, mapper, 1);
        BatchExecutor engine = new BatchExecutor(model, (rows, nanos) -> { });
        AtomicInteger engineCalls = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BatchRunner gated = requests -> {
            engineCalls.incrementAndGet();
            running.countDown();
            await(release);
            return engine.run(requests);
        };
        served.ready(model, new DynamicBatcher(gated, new DynamicBatcher.Limits(1, 0, 4), true),
                ServingDevice.of(Device.cpu()));

        long start = System.nanoTime();
        CompletableFuture<Response> inEngine = CompletableFuture.supplyAsync(() -> send(1));
        assertTrue(running.await(30, TimeUnit.SECONDS), "the first request reached the engine");
        CompletableFuture<Response> queued = CompletableFuture.supplyAsync(() -> send(2));
        for (int i = 0; i < 300 && served.queueDepth() < 1; i++) {
            Thread.sleep(10);
        }
        assertEquals(1, served.queueDepth(), "the second request waits in the queue");

        for (Response answer : new Response[] {inEngine.get(30, TimeUnit.SECONDS), queued.get(30, TimeUnit.SECONDS)}) {
            answer.then().statusCode(504).body("error", containsString("QUARTET_BATCHING_REQUEST_TIMEOUT"));
        }
        assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(1), "answered after the timeout");

        release.countDown();
        for (int i = 0; i < 300 && (served.queueDepth() > 0 || !served.longestEngineCall().isZero()); i++) {
            Thread.sleep(10);
        }
        assertEquals(12, send(3).then().statusCode(200).extract().jsonPath().getInt("outputs[0].data[0]"));
        assertEquals(2, engineCalls.get(), "the held call and the last one; the timed-out queued one was skipped");
        String metrics = given().get("/q/metrics").then().extract().asString();
        assertTrue(metrics.contains("outcome=\"timeout\""), "timeouts are counted");
    }

    private static Response send(int id) {
        return given().contentType(ContentType.JSON)
                .body(MixedTypesContract.body(new long[] {id, id, id, id}, new int[] {1, 1, 1, 1},
                        new boolean[] {true, true, true, true}, 1))
                .post(MixedTypesContract.INFER);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
