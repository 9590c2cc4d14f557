package dev.quartet.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a model's signature comes from (the deployment, a file beside the model, the TorchScript file, the ONNX file,
 * or the requests themselves), and models saved as users save them served with it: a TorchScript file saved with
 * plain {@code torch.jit.save}, an ONNX file with symbolic dimensions.
 */
class SignatureSourcesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MODELS = Path.of("models");

    private static final String MIXED_SIGNATURE = "{\"inputs\": ["
            + "{\"name\": \"ids\", \"datatype\": \"INT64\", \"shape\": [-1, 4]},"
            + "{\"name\": \"weights\", \"datatype\": \"INT32\", \"shape\": [-1, 4]},"
            + "{\"name\": \"mask\", \"datatype\": \"BOOL\", \"shape\": [-1, 4]}],"
            + " \"outputs\": [{\"name\": \"weighted_sum\", \"datatype\": \"INT64\", \"shape\": [-1]}]}";

    private static LoadedModel load(Path file, ModelFormat format, Optional<String> signature) throws Exception {
        EngineSettings.apply();
        return LoadedModel.load(file, format, JSON, 1, signature);
    }

    private static Oip.InputTensor tensor(String name, String datatype, List<Long> shape, TensorData data) {
        return new Oip.InputTensor(name, shape, datatype, null, data);
    }

    private static TensorData longs(long... values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return TensorData.binary(Datatype.INT64, b.flip());
    }

    private static TensorData ints(int... values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return TensorData.binary(Datatype.INT32, b.flip());
    }

    private static TensorData bools(boolean... values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length);
        for (boolean v : values) {
            b.put((byte) (v ? 1 : 0));
        }
        return TensorData.binary(Datatype.BOOL, b.flip());
    }

    /** Two rows of mixed-types inputs, ids [1, 2, 0, 4] and [5, -1, 7, 8], as positional inputs in shuffled order. */
    private static List<Oip.InputTensor> shuffledPositional() {
        return List.of(
                tensor("INPUT__2", "BOOL", List.of(2L, 4L), bools(true, false, true, true, true, true, false, true)),
                tensor("INPUT__0", "INT64", List.of(2L, 4L), longs(1, 2, 0, 4, 5, -1, 7, 8)),
                tensor("INPUT__1", "INT32", List.of(2L, 4L), ints(1, 1, 1, 1, 2, 2, 2, 2)));
    }

    @Test
    void aTorchScriptFileSavedWithPlainJitSaveIsServedFromItsRequests() throws Exception {
        try (LoadedModel model =
                load(MODELS.resolve("mixed-types-plain.pt"), ModelFormat.TORCHSCRIPT, Optional.empty())) {
            ModelSignature signature = model.signature();
            assertThat(signature.inputsKnown()).isFalse();
            assertThat(signature.outputs()).isEmpty();
            assertThat(signature.batchable()).isFalse();
            assertThat(signature.source()).startsWith("none: inputs are taken from each request by position");
            assertThat(BatchExecutor.warmUpRequest(signature, 64)).isEmpty();

            ValidatedRequest request = new RequestValidator(signature)
                    .validate(new Oip.InferRequest("p", null, shuffledPositional(), null));
            List<Oip.OutputTensor> outputs =
                    new BatchExecutor(model, (r, n) -> {}).run(List.of(request)).get(0);

            // kept = mask & ids > 0; weighted_sum = sum(ids * weights * kept); count = sum(kept)
            assertThat(outputs)
                    .extracting(Oip.OutputTensor::name)
                    .containsExactly("OUTPUT__0", "OUTPUT__1", "OUTPUT__2");
            assertThat(outputs).extracting(Oip.OutputTensor::datatype).containsExactly("INT64", "INT32", "BOOL");
            assertThat((long[]) outputs.get(0).data()).containsExactly(1 + 4, 2 * 5 + 2 * 8);
            assertThat((int[]) outputs.get(1).data()).containsExactly(2, 2);
            assertThat(outputs.get(2).shape()).containsExactly(2L, 4L);
        }
    }

    @Test
    void positionalInputsMustBeNumberedFromZeroAndUnknownOutputsAreRefusedOnceKnown() throws Exception {
        try (LoadedModel model =
                load(MODELS.resolve("mixed-types-plain.pt"), ModelFormat.TORCHSCRIPT, Optional.empty())) {
            RequestValidator validator = new RequestValidator(model.signature());
            assertThatThrownBy(() -> validator.validate(new Oip.InferRequest(
                            null,
                            null,
                            List.of(tensor("INPUT__1", "INT64", List.of(1L, 4L), longs(1, 2, 3, 4))),
                            null)))
                    .isInstanceOf(InferenceError.class)
                    .hasMessageContaining("INPUT__0 to INPUT__0");

            ValidatedRequest asksForNine = validator.validate(new Oip.InferRequest(
                    null, null, shuffledPositional(), List.of(new Oip.RequestedOutput("OUTPUT__9", null))));
            assertThatThrownBy(() -> new BatchExecutor(model, (r, n) -> {}).run(List.of(asksForNine)))
                    .isInstanceOfSatisfying(
                            InferenceError.class, e -> assertThat(e.status()).isEqualTo(400))
                    .hasMessageContaining("[OUTPUT__0, OUTPUT__1, OUTPUT__2]");

            ValidatedRequest asksForOne = validator.validate(new Oip.InferRequest(
                    null, null, shuffledPositional(), List.of(new Oip.RequestedOutput("OUTPUT__1", null))));
            assertThat(new BatchExecutor(model, (r, n) -> {})
                            .run(List.of(asksForOne))
                            .get(0))
                    .extracting(Oip.OutputTensor::name)
                    .containsExactly("OUTPUT__1");
        }
    }

    @Test
    void theDeploymentsSignatureNamesAPlainTorchScriptFilesTensors() throws Exception {
        try (LoadedModel model =
                load(MODELS.resolve("mixed-types-plain.pt"), ModelFormat.TORCHSCRIPT, Optional.of(MIXED_SIGNATURE))) {
            ModelSignature signature = model.signature();
            assertThat(signature.source()).isEqualTo("QUARTET_MODEL_SIGNATURE (spec.model.signature)");
            assertThat(signature.inputs()).extracting(TensorSpec::name).containsExactly("ids", "weights", "mask");
            assertThat(signature.batchable()).isTrue();
            ValidatedRequest zeros = BatchExecutor.warmUpRequest(signature, 64).orElseThrow();
            List<Oip.OutputTensor> outputs =
                    new BatchExecutor(model, (r, n) -> {}).run(List.of(zeros)).get(0);
            // Named where the signature names them, by position beyond.
            assertThat(outputs)
                    .extracting(Oip.OutputTensor::name)
                    .containsExactly("weighted_sum", "OUTPUT__1", "OUTPUT__2");
        }
    }

    @Test
    void aFileBesideTheModelDescribesItUnlessTheDeploymentDoes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mixed.pt");
        Files.copy(MODELS.resolve("mixed-types-plain.pt"), file);
        Files.writeString(SignatureReader.besideFile(file), MIXED_SIGNATURE.replace("\"ids\"", "\"identifiers\""));
        assertThat(SignatureReader.besideFile(file).getFileName().toString()).isEqualTo("mixed.pt.signature.json");

        try (LoadedModel beside = load(file, ModelFormat.TORCHSCRIPT, Optional.empty())) {
            assertThat(beside.signature().source())
                    .isEqualTo(SignatureReader.besideFile(file).toString());
            assertThat(beside.signature().inputs().get(0).name()).isEqualTo("identifiers");
        }
        try (LoadedModel configured = load(file, ModelFormat.TORCHSCRIPT, Optional.of(MIXED_SIGNATURE))) {
            assertThat(configured.signature().inputs().get(0).name()).isEqualTo("ids");
        }
    }

    @Test
    void theTorchScriptFilesOwnQuartetJsonStillServes() throws Exception {
        try (LoadedModel model = load(MODELS.resolve("mixed-types.pt"), ModelFormat.TORCHSCRIPT, Optional.empty())) {
            assertThat(model.signature().source()).isEqualTo("the model file's quartet.json extra file");
            assertThat(model.signature().outputs())
                    .extracting(TensorSpec::name)
                    .containsExactly("weighted_sum", "count", "kept");
        }
    }

    @Test
    void anOnnxFilesSymbolicDimensionsArePinnedByTheDeploymentAndNothingElse() throws Exception {
        Path file = MODELS.resolve("symbolic-mlp.onnx");
        ModelSignature own = SignatureReader.onnx(file);
        assertThat(own.inputs().get(0).shape()).containsExactly(-1L, 3L, -1L, -1L);
        assertThat(BatchExecutor.warmUpGuesses(own)).isTrue();

        ModelSignature pinned = SignatureReader.pin(
                own,
                SignatureReader.parse(
                        "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [-1, 3, 8, 8]}]}",
                        "test",
                        JSON));
        assertThat(pinned.inputs().get(0).shape()).containsExactly(-1L, 3L, 8L, 8L);
        assertThat(pinned.inputs().get(0).firstDimName()).isEqualTo("batch");
        assertThat(pinned.outputs()).isEqualTo(own.outputs());
        assertThat(pinned.batchable()).isTrue();
        assertThat(BatchExecutor.warmUpGuesses(pinned)).isFalse();
        assertThat(pinned.source()).isEqualTo("model file, with shapes from test");

        for (Map.Entry<String, String> wrong : Map.of(
                        "{\"inputs\": [{\"name\": \"pixels\", \"datatype\": \"FP32\", \"shape\": [-1, 3, 8, 8]}]}",
                        "names input 'pixels', which the model does not have; it has [image]",
                        "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP64\", \"shape\": [-1, 3, 8, 8]}]}",
                        "is FP64 but the model's is FP32",
                        "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [-1, 4, 8, 8]}]}",
                        "the model fixes [-1, 3, -1, -1] at dimension 1",
                        "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [-1, 3, 8]}]}",
                        "(another rank)")
                .entrySet()) {
            assertThatThrownBy(() -> SignatureReader.pin(own, SignatureReader.parse(wrong.getKey(), "test", JSON)))
                    .as(wrong.getKey())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(wrong.getValue());
        }
    }

    @Test
    void invalidDescriptionsAreRefusedWithWhatIsWrong() {
        for (Map.Entry<String, String> wrong : Map.of(
                        "{}",
                        "lists neither inputs nor outputs",
                        "{\"inputs\": [{\"datatype\": \"FP32\", \"shape\": [1]}]}",
                        "a tensor without a name",
                        "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"BYTES\", \"shape\": [1]}]}",
                        "unsupported datatype BYTES",
                        "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [0]}]}",
                        "sizes of at least 1, or -1",
                        "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1]},"
                                + " {\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1]}]}",
                        "is listed twice",
                        "{\"inputs\": [",
                        "invalid signature in test")
                .entrySet()) {
            assertThatThrownBy(() -> SignatureReader.parse(wrong.getKey(), "test", JSON))
                    .as(wrong.getKey())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(wrong.getValue());
        }
    }
}
