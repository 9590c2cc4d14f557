package dev.quartet.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.GpuModelName;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.ModelFormat;
import dev.quartet.model.TestDeployments;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpecValidatorTest {

    private static final String BOTH_OR_NEITHER = "spec.slice: set exactly one of profile and memoryGiB";

    /** A spec as a user would write it: model, profile, two replicas. */
    private static InferenceDeploymentSpec valid() {
        return TestDeployments.spec("1g.6gb", 2);
    }

    private static List<String> problemsWithUri(String uri) {
        InferenceDeploymentSpec spec = valid();
        spec.getModel().setUri(uri);
        return SpecValidator.validate(spec);
    }

    @Test
    void aValidSpecHasNoProblems() {
        assertThat(SpecValidator.validate(valid())).isEmpty();
    }

    @Test
    void aFullyFilledValidSpecHasNoProblems() {
        InferenceDeploymentSpec spec = valid();
        spec.getModel().setUri("pvc://models/bert/model.pt");
        spec.getModel().setFormat(ModelFormat.TORCHSCRIPT);
        spec.getModel().setName("bert-base_v1.2");
        spec.getModel().setSha256("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        spec.getSlice().setProfile("3g.40gb");
        spec.getSlice().setGpuModel(GpuModelName.H100_80GB);
        spec.setReplicas(0);
        spec.setPriority(-1000);
        spec.getBatching().setMaxBatchSize(1024);
        spec.getBatching().setMaxBatchDelayMillis(0);
        spec.getBatching().setQueueLimit(100000);
        spec.getWorker().setImage("registry.example/worker:1");
        spec.getWorker().setEnv(List.of(new EnvVar("OMP_NUM_THREADS", "2", null)));
        spec.getWorker()
                .setResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("500m"))
                        .addToLimits("memory", new Quantity("2Gi"))
                        .build());

        assertThat(SpecValidator.validate(spec)).isEmpty();
    }

    @Test
    void aMissingSpecIsNamed() {
        assertThat(SpecValidator.validate(null)).containsExactly("spec: required");
    }

    @Test
    void aMalformedProfileIsNamedWithTheKnownOnes() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile("3g.99");

        List<String> problems = SpecValidator.validate(spec);

        assertThat(problems)
                .singleElement()
                .asString()
                .startsWith("spec.slice.profile: cannot parse fields of '3g.99'")
                .contains("A30: 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb");
    }

    @Test
    void aWellFormedProfileNoBuiltInModelHasIsAccepted() {
        // An H200's profile: a node agent may report a GPU that has it, so admission does not refuse it.
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile("1g.18gb");

        assertThat(SpecValidator.validate(spec)).isEmpty();
    }

    @Test
    void aProfileThePinnedGpuModelDoesNotOfferIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile("1g.5gb");
        spec.getSlice().setGpuModel(GpuModelName.A30);

        assertThat(SpecValidator.validate(spec))
                .containsExactly(
                        "spec.slice.profile: A30 has no profile '1g.5gb' (legal: 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, "
                                + "4g.24gb)");
    }

    @Test
    void aProfileOfThePinnedGpuModelIsAccepted() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile("1g.5gb");
        spec.getSlice().setGpuModel(GpuModelName.A100_40GB);

        assertThat(SpecValidator.validate(spec)).isEmpty();
    }

    @Test
    void profileAndMemoryTogetherAreRefused() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setMemoryGiB(10);

        assertThat(SpecValidator.validate(spec)).containsExactly(BOTH_OR_NEITHER);
    }

    @Test
    void neitherProfileNorMemoryIsRefused() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile(" ");

        assertThat(SpecValidator.validate(spec)).containsExactly(BOTH_OR_NEITHER);
    }

    @Test
    void memoryAloneIsEnough() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile(null);
        spec.getSlice().setMemoryGiB(20);

        assertThat(SpecValidator.validate(spec)).isEmpty();
    }

    @Test
    void memoryBelowOneGibIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.getSlice().setProfile(null);
        spec.getSlice().setMemoryGiB(0);

        assertThat(SpecValidator.validate(spec)).containsExactly("spec.slice.memoryGiB: must be at least 1, got 0");
    }

    @Test
    void aMissingSliceOrModelIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.setSlice(null);
        spec.setModel(null);

        assertThat(SpecValidator.validate(spec))
                .containsExactly("spec.model: required", "spec.slice: required, with profile or memoryGiB");
    }

    @Test
    void aMissingFormatIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.getModel().setFormat(null);

        assertThat(SpecValidator.validate(spec)).containsExactly("spec.model.format: required, torchscript or onnx");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "file:///models/m.pt",
                "pvc://models/m.pt",
                "pvc://model-store/team-a/bert.onnx",
                "pvc://models.v2/bert.onnx",
                "http://models.example/m.onnx",
                "https://models.example:8443/a/b/m.onnx"
            })
    void supportedUrisAreAccepted(String uri) {
        assertThat(problemsWithUri(uri)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3://bucket/m.onnx", "ftp://host/m.onnx", "/models/m.onnx", "models/m.onnx"})
    void otherSchemesAreNamed(String uri) {
        assertThat(problemsWithUri(uri))
                .singleElement()
                .asString()
                .startsWith("spec.model.uri: scheme '")
                .endsWith("is not supported; use file://, pvc://, http:// or https://");
    }

    @Test
    void aMissingUriIsNamed() {
        assertThat(problemsWithUri(null)).singleElement().asString().startsWith("spec.model.uri: required");
        assertThat(problemsWithUri("")).singleElement().asString().startsWith("spec.model.uri: required");
    }

    @Test
    void aUriThatDoesNotParseIsNamed() {
        assertThat(problemsWithUri("file:///models/my model.pt"))
                .singleElement()
                .asString()
                .startsWith("spec.model.uri: 'file:///models/my model.pt' is not a URI");
    }

    @Test
    void aFileUriNeedsAnAbsolutePath() {
        assertThat(problemsWithUri("file:///"))
                .singleElement()
                .asString()
                .startsWith("spec.model.uri: file URIs need an absolute path");
        assertThat(problemsWithUri("file:models/m.pt"))
                .singleElement()
                .asString()
                .startsWith("spec.model.uri: file URIs need an absolute path");
    }

    @Test
    void aFileUriWithTwoSlashesIsRefusedBeforeTheWorkerFailsOnIt() {
        // file://models/m.pt names host "models" and path /m.pt; the worker cannot open it (Path.of(URI) refuses an
        // authority), so the replica would crash-loop instead of the spec being reported invalid.
        assertThat(problemsWithUri("file://models/m.pt"))
                .singleElement()
                .asString()
                .startsWith("spec.model.uri: file URIs need an absolute path");
    }

    @Test
    void aPvcUriNeedsAValidClaimName() {
        assertThat(problemsWithUri("pvc://Models/m.pt"))
                .containsExactly(
                        "spec.model.uri: pvc URIs are pvc://<claim>/<path>; 'Models' is not a valid claim name");
        assertThat(problemsWithUri("pvc://my_models/m.pt"))
                .containsExactly(
                        "spec.model.uri: pvc URIs are pvc://<claim>/<path>; 'my_models' is not a valid claim name");
        assertThat(problemsWithUri("pvc:///m.pt"))
                .singleElement()
                .asString()
                .startsWith("spec.model.uri: pvc URIs are pvc://<claim>/<path>;");
    }

    @Test
    void aPvcUriNeedsAPathInsideTheClaim() {
        String missing = "spec.model.uri: pvc URIs are pvc://<claim>/<path>; the path inside the claim is missing";
        assertThat(problemsWithUri("pvc://models")).containsExactly(missing);
        assertThat(problemsWithUri("pvc://models/")).containsExactly(missing);
    }

    @Test
    void anHttpUriNeedsAHost() {
        assertThat(problemsWithUri("https:///m.onnx")).containsExactly("spec.model.uri: 'https:///m.onnx' has no host");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "abc",
                "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"
            })
    void aSha256ThatIsNot64LowerCaseHexDigitsIsNamed(String sha256) {
        InferenceDeploymentSpec spec = valid();
        spec.getModel().setSha256(sha256);

        assertThat(SpecValidator.validate(spec)).containsExactly("spec.model.sha256: must be 64 lower-case hex digits");
    }

    @Test
    void aBadModelNameIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.getModel().setName("-bert");

        assertThat(SpecValidator.validate(spec)).singleElement().asString().startsWith("spec.model.name: '-bert'");
    }

    @Test
    void negativeReplicasAreNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.setReplicas(-1);

        assertThat(SpecValidator.validate(spec)).containsExactly("spec.replicas: must be 0 or more, got -1");
    }

    @Test
    void priorityOutOfRangeIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.setPriority(1001);

        assertThat(SpecValidator.validate(spec))
                .containsExactly("spec.priority: must be between -1000 and 1000, got 1001");
    }

    @Test
    void batchingOutOfRangeNamesEachField() {
        InferenceDeploymentSpec spec = valid();
        spec.getBatching().setMaxBatchSize(0);
        spec.getBatching().setMaxBatchDelayMillis(10001);
        spec.getBatching().setQueueLimit(100001);

        assertThat(SpecValidator.validate(spec))
                .containsExactly(
                        "spec.batching.maxBatchSize: must be between 1 and 1024, got 0",
                        "spec.batching.maxBatchDelayMillis: must be between 0 and 10000, got 10001",
                        "spec.batching.queueLimit: must be between 1 and 100000, got 100001");
    }

    @Test
    void batchingBelowTheOtherEndsIsNamedToo() {
        InferenceDeploymentSpec spec = valid();
        spec.getBatching().setMaxBatchSize(1025);
        spec.getBatching().setMaxBatchDelayMillis(-1);
        spec.getBatching().setQueueLimit(0);

        assertThat(SpecValidator.validate(spec))
                .containsExactly(
                        "spec.batching.maxBatchSize: must be between 1 and 1024, got 1025",
                        "spec.batching.maxBatchDelayMillis: must be between 0 and 10000, got -1",
                        "spec.batching.queueLimit: must be between 1 and 100000, got 0");
    }

    @Test
    void variablesQuartetDerivesFromTheSpecAreReservedAndTheWorkersTuningIsNot() {
        InferenceDeploymentSpec spec = valid();
        spec.getWorker()
                .setEnv(List.of(
                        new EnvVar("LOG_LEVEL", "debug", null),
                        new EnvVar("QUARTET_MODEL_URI", "file:///other.pt", null),
                        new EnvVar("QUARTET_BATCHING_WORKERS", "4", null),
                        new EnvVar("QUARTET_ENGINE_THREADS_PER_CALL", "2", null),
                        new EnvVar("QUARTET_BATCHING_QUEUE_LIMIT", "1", null)));

        assertThat(SpecValidator.validate(spec))
                .containsExactly(
                        "spec.worker.env: QUARTET_MODEL_URI is set by Quartet from spec.model.uri; set that field instead",
                        "spec.worker.env: QUARTET_BATCHING_QUEUE_LIMIT is set by Quartet from spec.batching.queueLimit; set "
                                + "that field instead");
    }

    @Test
    void theNameMustBeAServiceName() {
        assertThat(SpecValidator.validateName("resnet-50")).isEmpty();
        assertThat(SpecValidator.validateName("a".repeat(63))).isEmpty();
        for (String bad : List.of("resnet.v2", "50-resnet", "ResNet", "resnet-", "a".repeat(64))) {
            assertThat(SpecValidator.validateName(bad))
                    .as(bad)
                    .singleElement()
                    .asString()
                    .startsWith("metadata.name: " + bad + " cannot name the deployment's Service");
        }
    }

    @Test
    void aDeploymentIsValidatedByNameThenSpec() {
        InferenceDeployment d = TestDeployments.of("bad.name", "1g.6gb", -1);

        assertThat(SpecValidator.validateDeployment(d))
                .containsExactly(
                        SpecValidator.validateName("bad.name").get(0), "spec.replicas: must be 0 or more, got -1");
        assertThat(SpecValidator.validateDeployment(TestDeployments.of("resnet", "1g.6gb", 1)))
                .isEmpty();
    }

    @Test
    void thePortAndTheMigDeviceAreNotTheUsersToSet() {
        InferenceDeploymentSpec spec = valid();
        spec.getWorker()
                .setEnv(List.of(
                        new EnvVar("QUARKUS_HTTP_PORT", "9000", null),
                        new EnvVar("NVIDIA_VISIBLE_DEVICES", "all", null)));

        assertThat(SpecValidator.validate(spec))
                .hasSize(2)
                .allSatisfy(p -> assertThat(p)
                        .startsWith("spec.worker.env: ")
                        .contains("is set by Quartet and the device plugin"));
    }

    @Test
    void nvidiaResourcesInTheWorkerAreRefusedInLimitsOrRequests() {
        String problem = "spec.worker.resources: nvidia.com/* resources are added by Quartet from spec.slice";
        InferenceDeploymentSpec limits = valid();
        limits.getWorker()
                .setResources(new ResourceRequirementsBuilder()
                        .addToLimits("nvidia.com/gpu", new Quantity("1"))
                        .build());
        InferenceDeploymentSpec requests = valid();
        requests.getWorker()
                .setResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("1"))
                        .addToRequests("nvidia.com/mig-1g.6gb", new Quantity("1"))
                        .addToLimits("nvidia.com/mig-1g.6gb", new Quantity("1"))
                        .build());

        assertThat(SpecValidator.validate(limits)).containsExactly(problem);
        assertThat(SpecValidator.validate(requests)).containsExactly(problem);
    }

    @Test
    void anEmptyImageIsNamed() {
        InferenceDeploymentSpec spec = valid();
        spec.getWorker().setImage("");

        assertThat(SpecValidator.validate(spec)).singleElement().asString().startsWith("spec.worker.image:");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        InferenceDeploymentSpec spec = valid();
        spec.getModel().setUri("s3://bucket/m");
        spec.getSlice().setProfile("9g.1gb");
        spec.setReplicas(-2);

        assertThat(SpecValidator.validate(spec))
                .hasSize(3)
                .allSatisfy(p -> assertThat(p).matches("spec\\.(model\\.uri|slice\\.profile|replicas): .*"));
    }
}
