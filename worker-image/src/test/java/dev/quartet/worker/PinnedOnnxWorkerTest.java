package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The same symbolic ONNX model with its dimensions pinned by QUARTET_MODEL_SIGNATURE (what spec.model.signature sets):
 * warmed up, described with the pinned shape, and a request of another size is a 400 that says which, not an engine
 * failure.
 */
@QuarkusTest
@TestProfile(PinnedOnnxWorkerTest.Profile.class)
class PinnedOnnxWorkerTest {

    /** Serves symbolic-mlp.onnx with height and width pinned to 8. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quartet.model.uri",
                    "models/symbolic-mlp.onnx",
                    "quartet.model.name",
                    "mlp",
                    "quartet.model.signature",
                    "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [-1, 3, 8, 8]}]}");
        }
    }

    @Test
    void warmedUpAndCheckedAtThePinnedSize() throws Exception {
        WorkerReady.await();
        given().get("/v2/models/mlp")
                .then()
                .statusCode(200)
                .body("inputs[0].shape", equalTo(List.of(-1, 3, 8, 8)))
                .body("parameters.signature", containsString("QUARTET_MODEL_SIGNATURE"))
                .body("parameters.warm_up", equalTo("ok"));
        given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("image", "FP32", List.of(1L, 3L, 9L, 9L), new float[243])))
                .post("/v2/models/mlp/infer")
                .then()
                .statusCode(400)
                .body("error", containsString("does not match the model's [-1, 3, 8, 8] at dimension 2"));
    }
}
