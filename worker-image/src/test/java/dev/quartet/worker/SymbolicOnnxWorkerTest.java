package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An ONNX model whose height and width are symbolic though only 8 x 8 works: served even though the warm-up's guessed
 * sizes fail (and metadata says so); requests of the size the model takes are answered.
 */
@QuarkusTest
@TestProfile(SymbolicOnnxWorkerTest.Profile.class)
class SymbolicOnnxWorkerTest {

    /** Serves symbolic-mlp.onnx with nothing pinning its dimensions. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quartet.model.uri", "models/symbolic-mlp.onnx", "quartet.model.name", "mlp");
        }
    }

    @Test
    void servedWithoutAWarmUpItsOpenDimensionsWouldFail() throws Exception {
        WorkerReady.await();
        given().get("/v2/models/mlp")
                .then()
                .statusCode(200)
                .body("inputs[0].shape", equalTo(List.of(-1, 3, -1, -1)))
                .body("parameters.signature", equalTo("model file"))
                .body("parameters.warm_up", startsWith("skipped: sizes guessed for the model's open dimensions"));
        given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("image", "FP32", List.of(2L, 3L, 8L, 8L), new float[2 * 192])))
                .post("/v2/models/mlp/infer")
                .then()
                .statusCode(200)
                .body("outputs[0].name", equalTo("probabilities"))
                .body("outputs[0].shape", equalTo(List.of(2, 4)));
        given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("image", "FP32", List.of(1L, 3L, 9L, 9L), new float[243])))
                .post("/v2/models/mlp/infer")
                .then()
                .statusCode(500)
                .body("error", containsString("inference failed"));
    }
}
