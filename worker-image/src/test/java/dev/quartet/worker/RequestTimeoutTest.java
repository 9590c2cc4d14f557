package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
            return Map.of(
                    "quartet.model.uri",
                    "models/mixed-types.onnx",
                    "quartet.model.name",
                    "mixed",
                    "quartet.batching.request-timeout",
                    "1s");
        }
    }

    @Inject
    ServedModel served;

    @Inject
    ObjectMapper mapper;

    @Test
    void aRequestPastItsTimeoutIs504AndAQueuedOneNeverReachesTheEngine() throws Exception {
        WorkerReady.await();
        HeldEngine engine = HeldEngine.serve(served, mapper, new DynamicBatcher.Limits(1, 0, 4));

        long start = System.nanoTime();
        CompletableFuture<Response> inEngine = CompletableFuture.supplyAsync(() -> HeldEngine.send(1));
        assertTrue(engine.awaitRunning(), "the first request reached the engine");
        CompletableFuture<Response> queued = CompletableFuture.supplyAsync(() -> HeldEngine.send(2));
        // Up to 30 s, as in QueueFullTest: on a loaded machine the request can take seconds to reach the queue, and
        // once there it stays (its timeout only answers it; it leaves the queue when the held call is released).
        for (int i = 0; i < 3000 && served.queueDepth() < 1; i++) {
            Thread.sleep(10);
        }
        assertEquals(1, served.queueDepth(), "the second request waits in the queue");

        for (CompletableFuture<Response> answer : List.of(inEngine, queued)) {
            answer.get(30, TimeUnit.SECONDS)
                    .then()
                    .statusCode(504)
                    .body("error", containsString("QUARTET_BATCHING_REQUEST_TIMEOUT"));
        }
        assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(1), "answered after the timeout");

        engine.release();
        for (int i = 0;
                i < 300
                        && (served.queueDepth() > 0
                                || !served.longestEngineCall().isZero());
                i++) {
            Thread.sleep(10);
        }
        assertEquals(
                12,
                HeldEngine.send(3).then().statusCode(200).extract().jsonPath().getInt("outputs[0].data[0]"));
        assertEquals(2, engine.calls(), "the held call and the last one; the timed-out queued one was skipped");
        String metrics = given().get("/q/metrics").then().extract().asString();
        assertTrue(metrics.contains("outcome=\"timeout\""), "timeouts are counted");
    }
}
