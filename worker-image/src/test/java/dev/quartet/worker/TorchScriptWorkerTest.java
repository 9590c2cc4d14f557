package dev.quartet.worker;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;

/** The worker serving the tiny ResNet through PyTorch (TorchScript). */
@QuarkusTest
@TestProfile(TorchScriptWorkerTest.Profile.class)
class TorchScriptWorkerTest extends TinyResNetContract {

    /** Serves the TorchScript file, format given explicitly. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quartet.model.uri", "file:models/tiny-resnet.pt", "quartet.model.format", "torchscript");
        }
    }

    @Override
    ModelFormat format() {
        return ModelFormat.TORCHSCRIPT;
    }

    @Override
    String modelFile() {
        return "tiny-resnet.pt";
    }
}
