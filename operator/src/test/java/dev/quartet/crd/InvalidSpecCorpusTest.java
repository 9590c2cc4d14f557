package dev.quartet.crd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.crd.SpecCorpus.Expectation;
import dev.quartet.crd.SpecCorpus.InvalidSpec;
import dev.quartet.demand.SpecValidator;
import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator's side of the spec corpus (CrdValidationIT is the API server's): SpecValidator reports exactly the
 * problems each invalid spec's {@code # operator:} lines name, and none for the valid specs and the examples.
 */
class InvalidSpecCorpusTest {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    static Stream<InvalidSpec> invalidSpecs() {
        return SpecCorpus.invalidSpecs();
    }

    static Stream<Path> validSpecs() {
        return SpecCorpus.validSpecs();
    }

    static List<InferenceDeployment> deployments(Path file) throws IOException {
        List<InferenceDeployment> deployments = new ArrayList<>();
        for (String doc : Files.readString(file).split("(?m)^---$")) {
            deployments.add(YAML.unmarshal(doc, InferenceDeployment.class));
        }
        return deployments;
    }

    @Test
    void theCorpusCoversEveryKindOfProblem() {
        List<InvalidSpec> specs = SpecCorpus.invalidSpecs().toList();
        assertThat(specs).hasSizeGreaterThanOrEqualTo(40);
        assertThat(specs.stream().flatMap(s -> s.operator().stream()).map(Expectation::field))
                .contains(
                        "metadata.name",
                        "spec",
                        "spec.model.uri",
                        "spec.model.sha256",
                        "spec.model.name",
                        "spec.slice",
                        "spec.slice.profile",
                        "spec.slice.memoryGiB",
                        "spec.replicas",
                        "spec.priority",
                        "spec.batching.queueLimit",
                        "spec.worker.env",
                        "spec.worker.resources",
                        "spec.worker.image");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void specValidatorReportsExactlyTheExpectedProblems(InvalidSpec spec) throws IOException {
        assertThat(spec.server().isEmpty())
                .as("%s has either '# server:' or '# webhook:' lines", spec)
                .isNotEqualTo(spec.webhook().isEmpty());
        assertThat(spec.operator()).as("%s has '# operator:' lines", spec).isNotEmpty();
        List<InferenceDeployment> deployments = deployments(spec.file());
        assertThat(deployments).hasSize(1);

        List<String> problems = SpecValidator.validateDeployment(deployments.get(0));

        assertThat(problems).as("problems of %s", spec).hasSameSizeAs(spec.operator());
        for (Expectation e : spec.operator()) {
            assertThat(problems)
                    .as("problems of %s", spec)
                    .anySatisfy(p -> assertThat(p).startsWith(e.field() + ": ").contains(e.text()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validSpecs")
    void specValidatorAcceptsTheValidSpecsAndTheExamples(Path file) throws IOException {
        for (InferenceDeployment d : deployments(file)) {
            assertThat(d.getKind()).isEqualTo("InferenceDeployment");
            assertThat(SpecValidator.validateDeployment(d))
                    .as("%s in %s", d.getMetadata().getName(), file)
                    .isEmpty();
        }
    }
}
