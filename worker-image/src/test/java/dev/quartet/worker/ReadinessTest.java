package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A model fetched over http(s) at start-up (sha256-verified): until it has arrived, loaded and
 * warmed up, liveness answers and readiness, metadata and inference do not.
 */
@QuarkusTest
@TestProfile(ReadinessTest.Profile.class)
class ReadinessTest {

    static final CountDownLatch RELEASE = new CountDownLatch(1);

    /** Serves the model from a local HTTP server that holds the download until {@link #RELEASE}. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(GatedModelServer.class));
        }
    }

    /** A loopback HTTP server whose model download waits for the test. */
    public static class GatedModelServer implements QuarkusTestResourceLifecycleManager {
        private HttpServer server;

        @Override
        public Map<String, String> start() {
            try {
                Path model = Path.of("models/mixed-types.onnx");
                byte[] bytes = Files.readAllBytes(model);
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                server.createContext("/models/mixed-types.onnx", exchange -> {
                    try {
                        RELEASE.await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    exchange.sendResponseHeaders(200, bytes.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(bytes);
                    }
                });
                server.start();
                return Map.of(
                        "quartet.model.uri",
                        "http://127.0.0.1:" + server.getAddress().getPort() + "/models/mixed-types.onnx",
                        "quartet.model.name",
                        "mixed",
                        "quartet.model.sha256",
                        ModelSource.sha256(model),
                        "quartet.model.cache-dir",
                        "target/model-cache/" + UUID.randomUUID());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
            RELEASE.countDown();
            server.stop(0);
        }
    }

    @Test
    void readyOnlyAfterDownloadLoadAndWarmUp() throws Exception {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/v2/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN"));
        given().get("/v2/health/ready").then().statusCode(503);
        given().get("/v2/models/mixed/ready").then().statusCode(503);
        given().get("/v2/models/mixed/versions/1/ready").then().statusCode(503);
        given().get("/v2/models/mixed").then().statusCode(503).body("error", containsString("not ready"));
        given().contentType(ContentType.JSON)
                .body(MixedTypesContract.body(new long[4], new int[4], new boolean[4], 1))
                .post(MixedTypesContract.INFER)
                .then()
                .statusCode(503)
                .header("Retry-After", "1")
                .body("error", containsString("not ready"));

        RELEASE.countDown();
        WorkerReady.await();
        given().get("/v2/health/ready").then().statusCode(200);
        given().get("/v2/models/mixed/ready").then().statusCode(200);
        given().get("/v2/models/mixed/versions/1/ready").then().statusCode(200);
        given().get("/v2/models/mixed/versions/2/ready").then().statusCode(404);
        given().contentType(ContentType.JSON)
                .body(MixedTypesContract.body(
                        new long[] {1, 2, 3, 4}, new int[] {1, 1, 1, 1}, new boolean[] {true, true, true, true}, 1))
                .post(MixedTypesContract.INFER)
                .then()
                .statusCode(200)
                .body("outputs[0].data", equalTo(List.of(10)));
    }
}
