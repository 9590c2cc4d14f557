package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.model.InferenceDeployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Applies every file in examples/ on the demo cluster shape (2 nodes x 4 A30 at 4x1g.6gb) and waits for what
 * its {@code # expect:} comment lines promise: {@code # expect: <name> <Type>=<status>[/<Reason>]
 * replicas=<ready>/<desired> [profile=<p>]}.
 */
class ExamplesIT {

    static final Pattern EXPECT = Pattern.compile(
            "^# expect: (\\S+) (\\w+)=(True|False)(?:/(\\w+))? replicas=(\\d+)/(\\d+)(?: profile=(\\S+))?$");

    record Expectation(
            String name, String type, String status, String reason, int ready, int desired, String profile) {}

    static Stream<Path> examples() throws IOException {
        return Files.list(Path.of("../examples"))
                .filter(p -> p.toString().endsWith(".yaml"))
                .sorted();
    }

    static List<Expectation> expectations(Path file) throws IOException {
        return Files.readAllLines(file).stream()
                .map(EXPECT::matcher)
                .filter(Matcher::matches)
                .map(m -> new Expectation(
                        m.group(1),
                        m.group(2),
                        m.group(3),
                        m.group(4),
                        Integer.parseInt(m.group(5)),
                        Integer.parseInt(m.group(6)),
                        m.group(7)))
                .toList();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleDoesWhatItsCommentsPromise(Path example) throws IOException {
        List<Expectation> expected = expectations(example);
        assertThat(expected).as("%s has '# expect:' lines", example).isNotEmpty();
        try (OperatorTestBed bed = new OperatorTestBed(
                "example",
                o -> o.withNodes(2)
                        .withGpusPerNode(4)
                        .withLayout("4x1g.6gb")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of())) {
            for (String doc : Files.readString(example).split("(?m)^---$")) {
                InferenceDeployment d =
                        bed.client.getKubernetesSerialization().unmarshal(doc, InferenceDeployment.class);
                assertThat(d.getKind()).isEqualTo("InferenceDeployment");
                bed.create(d);
            }
            for (Expectation e : expected) {
                await().atMost(Duration.ofSeconds(150)).ignoreExceptions().untilAsserted(() -> {
                    InferenceDeployment d = bed.get(e.name());
                    assertThat(bed.conditionIs(e.name(), e.type(), e.status(), e.reason()))
                            .as(
                                    "%s: %s=%s/%s in %s",
                                    e.name(),
                                    e.type(),
                                    e.status(),
                                    e.reason(),
                                    d.getStatus().getConditions())
                            .isTrue();
                    assertThat(d.getStatus().getReadyReplicas())
                            .as("%s ready replicas", e.name())
                            .isEqualTo(e.ready());
                    assertThat(d.getSpec().getReplicas()).isEqualTo(e.desired());
                    if (e.profile() != null) {
                        assertThat(d.getStatus().getProfile()).isEqualTo(e.profile());
                    }
                });
            }
            bed.assertNoNonMovableReplicaDeleted();
        }
    }
}
