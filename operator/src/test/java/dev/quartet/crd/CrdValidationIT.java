package dev.quartet.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quartet.crd.SpecCorpus.Expectation;
import dev.quartet.crd.SpecCorpus.InvalidSpec;
import dev.quartet.testsupport.LocalCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed CRD on the real API server, through the control plane's own kubectl: the server accepts the CRD
 * (every CEL rule within its cost budget) and keeps every rule; {@code kubectl apply} refuses each spec of
 * src/test/resources/invalid-specs with the errors its {@code # server:} lines name, and accepts the valid specs and
 * every example; an object stored before the rules existed still takes status updates, so the operator can report
 * it as InvalidSpec.
 */
class CrdValidationIT {

    private static final String CRD = "inferencedeployments.inference.quartet.dev";
    private static final Path CRD_FILE = Path.of("../crds", CrdExport.FILE);
    private static final YAMLMapper YAML = new YAMLMapper();

    private static LocalCluster cluster;
    private static String namespace;

    /** What a kubectl run printed, and how it ended. */
    record Run(int exit, String out, String err) {

        List<String> errorLines() {
            return err.lines().toList();
        }
    }

    @BeforeAll
    static void installTheCrd() {
        cluster = LocalCluster.shared();
        Run apply = kubectl("apply", "--server-side", "--force-conflicts", "-f", CRD_FILE.toString());
        assertThat(apply.exit())
                .as("the API server refuses the committed CRD (a rule's estimated cost?):\n%s", apply.err())
                .isZero();
        cluster.awaitCrdEstablished(CRD);
        namespace = cluster.createNamespace("cel");
    }

    @AfterAll
    static void deleteNamespace() {
        if (namespace != null) {
            cluster.deleteNamespace(namespace);
        }
    }

    static Stream<InvalidSpec> invalidSpecs() {
        return SpecCorpus.invalidSpecs();
    }

    static Stream<Path> validSpecs() {
        return SpecCorpus.validSpecs();
    }

    @Test
    void theApiServerKeepsEveryRuleOfTheCrd() throws IOException {
        CustomResourceDefinition stored = cluster.client()
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(CRD)
                .get();
        JsonNode served = YAML.valueToTree(
                stored.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema());
        JsonNode committed = YAML.readTree(CRD_FILE.toFile())
                .path("spec")
                .path("versions")
                .get(0)
                .path("schema")
                .path("openAPIV3Schema");

        List<JsonNode> rules = rules(committed);
        assertThat(rules).hasSizeGreaterThanOrEqualTo(20);
        assertThat(rules(served)).containsExactlyInAnyOrderElementsOf(rules);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void kubectlApplyRefusesAnInvalidSpecNamingTheField(InvalidSpec spec) {
        if (spec.server().isEmpty()) {
            // Left to the admission webhook (AdmissionIT): the API server's own rules let it through.
            Run dryRun = kubectl(
                    "apply",
                    "--dry-run=server",
                    "-n",
                    namespace,
                    "-f",
                    spec.file().toString());
            assertThat(dryRun.exit())
                    .as("%s has only '# webhook:' lines, yet the CRD's rules refuse it: %s", spec, dryRun.err())
                    .isZero();
            return;
        }

        Run apply = kubectl("apply", "-n", namespace, "-f", spec.file().toString());

        assertThat(apply.exit())
                .as("kubectl apply -f %s: %s", spec, apply.out())
                .isNotZero();
        for (Expectation e : spec.server()) {
            assertThat(apply.errorLines())
                    .as("kubectl apply -f %s", spec)
                    .anySatisfy(
                            line -> assertThat(line).contains(e.field() + ": ").contains(e.text()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validSpecs")
    void kubectlApplyAcceptsTheValidSpecsAndEveryExample(Path file) {
        Run apply = kubectl("apply", "--dry-run=server", "-n", namespace, "-f", file.toString());

        assertThat(apply.exit())
                .as("kubectl apply -f %s:\n%s", file, apply.err())
                .isZero();
        assertThat(apply.out()).contains("(server dry run)");
    }

    /**
     * A copy of the CRD under a group of its own, first without its rules (as a cluster that had the CRD before
     * them), holds an object with a name Quartet cannot use and an unknown profile; with the rules applied, that
     * object still takes a status update with its InvalidSpec condition and a scale, while a profile its newly pinned
     * model lacks is refused, and a new object of that name too.
     */
    @Test
    void anObjectStoredBeforeTheRulesStillTakesStatusUpdates() throws IOException {
        String group = "legacy.quartet.test";
        String crd = "inferencedeployments." + group;
        String resource = crd;
        kubectl("delete", "crd", crd, "--ignore-not-found", "--wait");
        ObjectNode withRules = (ObjectNode) YAML.readTree(CRD_FILE.toFile());
        ((ObjectNode) withRules.path("metadata")).put("name", crd);
        ((ObjectNode) withRules.path("spec")).put("group", group);
        ObjectNode withoutRules = withRules.deepCopy();
        withoutRules
                .findParents("x-kubernetes-validations")
                .forEach(n -> ((ObjectNode) n).remove("x-kubernetes-validations"));
        Path dir = Files.createDirectories(Path.of("target/crd-validation-it"));
        Path oldCrd = dir.resolve("legacy-crd-without-rules.yaml");
        Path newCrd = dir.resolve("legacy-crd.yaml");
        YAML.writeValue(oldCrd.toFile(), withoutRules);
        YAML.writeValue(newCrd.toFile(), withRules);
        try {
            assertThat(kubectl("apply", "-f", oldCrd.toString()).exit()).isZero();
            cluster.awaitCrdEstablished(crd);
            Run legacy = kubectlStdin(legacyObject(group, "legacy.v1", "7g.1gb"), "apply", "-n", namespace, "-f", "-");
            assertThat(legacy.exit()).as(legacy.err()).isZero();

            assertThat(kubectl("apply", "-f", newCrd.toString()).exit()).isZero();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(kubectlStdin(
                                            legacyObject(group, "legacy.v2", "1g.6gb"),
                                            "apply",
                                            "--dry-run=server",
                                            "-n",
                                            namespace,
                                            "-f",
                                            "-")
                                    .err())
                            .contains("metadata.name: legacy.v2 cannot name the deployment's Service"));

            Run status = kubectl(
                    "patch",
                    resource,
                    "legacy.v1",
                    "-n",
                    namespace,
                    "--subresource=status",
                    "--type=merge",
                    "-p",
                    "{\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Degraded\",\"status\":\"True\","
                            + "\"reason\":\"InvalidSpec\",\"message\":\"metadata.name: legacy.v1 cannot name the "
                            + "deployment's Service\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}");
            assertThat(status.exit()).as("status update: %s", status.err()).isZero();
            assertThat(kubectl(
                                    "get",
                                    resource,
                                    "legacy.v1",
                                    "-n",
                                    namespace,
                                    "-o",
                                    "jsonpath={.status.conditions[0].reason}")
                            .out())
                    .isEqualTo("InvalidSpec");
            Run scale = kubectl("scale", resource, "legacy.v1", "-n", namespace, "--replicas=3");
            assertThat(scale.exit()).as("scale: %s", scale.err()).isZero();

            Run otherUnknown = kubectl(
                    "patch",
                    resource,
                    "legacy.v1",
                    "-n",
                    namespace,
                    "--type=merge",
                    "-p",
                    "{\"spec\":{\"slice\":{\"gpuModel\":\"A30\",\"profile\":\"7g.2gb\"}}}");
            // A well-formed profile no built-in model has is accepted (a node agent may report a GPU with it); one the
            // pinned model lacks is not.
            assertThat(otherUnknown.exit()).isNotZero();
            assertThat(otherUnknown.err()).contains("spec.slice.profile: A30 has no profile '7g.2gb'");
            Run fixed = kubectl(
                    "patch",
                    resource,
                    "legacy.v1",
                    "-n",
                    namespace,
                    "--type=merge",
                    "-p",
                    "{\"spec\":{\"slice\":{\"profile\":\"1g.6gb\"}}}");
            assertThat(fixed.exit()).as("fixing the profile: %s", fixed.err()).isZero();
        } finally {
            kubectl("delete", "crd", crd, "--ignore-not-found", "--wait=false");
        }
    }

    private static String legacyObject(String group, String name, String profile) {
        return """
                apiVersion: %s/v1alpha1
                kind: InferenceDeployment
                metadata:
                  name: %s
                spec:
                  model: {uri: 'file:///models/tiny-resnet.onnx', format: onnx}
                  slice: {profile: '%s'}
                """.formatted(group, name, profile);
    }

    /** Every x-kubernetes-validations entry of a schema, depth first in document order. */
    private static List<JsonNode> rules(JsonNode schema) {
        List<JsonNode> rules = new ArrayList<>();
        schema.path("x-kubernetes-validations").forEach(rules::add);
        schema.path("properties").forEach(p -> rules.addAll(rules(p)));
        if (schema.has("items")) {
            rules.addAll(rules(schema.get("items")));
        }
        return rules;
    }

    private static Run kubectl(String... args) {
        return kubectlStdin(null, args);
    }

    private static Run kubectlStdin(String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(
                cluster.kubectl().toString(),
                "--kubeconfig",
                cluster.kubeconfig().toString()));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("kubectl", ".out");
            Path err = Files.createTempFile("kubectl", ".err");
            try {
                ProcessBuilder builder =
                        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                Process p = builder.start();
                try (var in = p.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
                }
                return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
