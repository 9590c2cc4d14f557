package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A TorchScript file saved with plain {@code torch.jit.save(module, path)}, no extra file: served, its inputs taken
 * from each request by position, its output named OUTPUT__0, and metadata saying what is not known.
 */
@QuarkusTest
@TestProfile(PlainTorchScriptWorkerTest.Profile.class)
class PlainTorchScriptWorkerTest {

    /** Serves tiny-resnet-plain.pt as "tiny-resnet". */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quartet.model.uri", "models/tiny-resnet-plain.pt");
        }
    }

    @Test
    void servedWithWhatTheRequestsGive() throws Exception {
        WorkerReady.await();
        given().get("/v2/models/tiny-resnet")
                .then()
                .statusCode(200)
                .body("platform", equalTo("pytorch_torchscript"))
                .body("inputs", empty())
                .body("outputs", empty())
                .body("parameters.signature", startsWith("none: inputs are taken from each request by position"))
                .body("parameters.outputs", containsString("OUTPUT__0"))
                .body("parameters.warm_up", startsWith("none"))
                .body("parameters.batching", startsWith("off"));

        float[] images = Requests.images(2, 5);
        float[] expected;
        try (EngineReference reference =
                new EngineReference(Path.of("models", "tiny-resnet-plain.pt"), ModelFormat.TORCHSCRIPT)) {
            expected = reference.logits(images, 2);
        }
        // Any input name: a lone input goes first.
        float[] served = Requests.floats(given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("pixels", "FP32", List.of(2L, 3L, 32L, 32L), images)))
                .post(TinyResNetContract.INFER)
                .then()
                .statusCode(200)
                .body("outputs[0].name", equalTo("OUTPUT__0"))
                .body("outputs[0].datatype", equalTo("FP32"))
                .body("outputs[0].shape", equalTo(List.of(2, 10)))
                .extract()
                .jsonPath()
                .getList("outputs[0].data", Float.class));
        assertArrayEquals(expected, served, TinyResNetContract.TOLERANCE);

        try (GrpcClient client = new GrpcClient()) {
            ModelInferResponse response = client.call()
                    .modelInfer(ModelInferRequest.newBuilder()
                            .setModelName("tiny-resnet")
                            .addInputs(GrpcClient.input("INPUT__0", "FP32", 2, 3, 32, 32))
                            .addRawInputContents(GrpcClient.raw(images))
                            .build());
            assertArrayEquals(expected, GrpcClient.rawFloats(response, 0), TinyResNetContract.TOLERANCE);
        }

        // What the module itself refuses is the engine's error, named as such.
        given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("x", "FP32", List.of(2L, 5L), new float[10])))
                .post(TinyResNetContract.INFER)
                .then()
                .statusCode(500)
                .body("error", startsWith("inference failed"));
    }
}
