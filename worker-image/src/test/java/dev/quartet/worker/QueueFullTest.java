package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
            return Map.of(
                    "quartet.model.uri",
                    "models/mixed-types.onnx",
                    "quartet.model.name",
                    "mixed",
                    "quartet.health.engine-stuck-after",
                    "1s",
                    "quartet.health.engine-dead-after",
                    "2s");
        }
    }

    @Inject
    ServedModel served;

    @Inject
    ObjectMapper mapper;

    @Test
    void fullQueueIs503WithRetryAfter() throws Exception {
        WorkerReady.await();
        // The real executor behind a gate, one request at a time, queue of one.
        HeldEngine engine = HeldEngine.serve(served, mapper, new DynamicBatcher.Limits(1, 0, 1));

        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> send(1));
        assertTrue(engine.awaitRunning(), "first request reached the engine");
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> send(2));
        for (int i = 0; i < 300 && served.queueDepth() < 1; i++) {
            Thread.sleep(100);
        }
        assertEquals(1, served.queueDepth(), "second request waits in the queue");

        given().contentType(ContentType.JSON)
                .body(MixedTypesContract.body(new long[4], new int[4], new boolean[4], 1))
                .post(MixedTypesContract.INFER)
                .then()
                .statusCode(503)
                .header("Retry-After", "1")
                .body("error", containsString("queue is full"));
        given().contentType(ContentType.JSON)
                .body("{\"inputs\": [not json")
                .post(MixedTypesContract.INFER)
                .then()
                .statusCode(503)
                .body("error", containsString("queue is full")); // refused before it is parsed

        while (served.longestEngineCall().toMillis() < 2500) {
            Thread.sleep(100);
        }
        given().get("/q/health/ready").then().statusCode(503).body(containsString("a call has run for"));
        given().get("/q/health/live").then().statusCode(503).body(containsString("more than 2 s"));
        given().get("/v2/health/ready").then().statusCode(503);
        given().get("/v2/health/live").then().statusCode(503);

        engine.release();
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
        return HeldEngine.send(id)
                .then()
                .statusCode(200)
                .body("outputs[0].shape", equalTo(List.of(1)))
                .extract()
                .jsonPath()
                .getInt("outputs[0].data[0]");
    }
}
