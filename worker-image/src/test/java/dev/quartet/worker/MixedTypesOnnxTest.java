package dev.quartet.worker;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;

/** INT64/INT32/BOOL through ONNX Runtime. */
@QuarkusTest
@TestProfile(MixedTypesOnnxTest.Profile.class)
class MixedTypesOnnxTest extends MixedTypesContract {

    /** Serves mixed-types.onnx as "mixed". */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quartet.model.uri",
                    "models/mixed-types.onnx",
                    "quartet.model.name",
                    "mixed",
                    "quartet.batching.max-batch-delay-millis",
                    "1");
        }
    }

    @Override
    ModelFormat format() {
        return ModelFormat.ONNX;
    }

    @Override
    String modelFile() {
        return "mixed-types.onnx";
    }
}
