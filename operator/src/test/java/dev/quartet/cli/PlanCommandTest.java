package dev.quartet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {

    private static final String SCENARIO = """
            nodes:
              - name: node-b
                gpus:
                  - {index: 0, model: A30, instances: []}
              - name: node-a
                gpus:
                  - index: 0
                    model: A30
                    instances:
                      - {profile: 1g.6gb, start: 0, replica: default/resnet-0}
                      - {profile: 1g.6gb, start: 1}
                      - {profile: 1g.6gb, start: 2}
                      - {profile: 1g.6gb, start: 3}
            demands:
              - {name: default/resnet, profile: 1g.6gb, replicas: 3}
              - {name: default/bert, memoryGiB: 10, replicas: 1, priority: 10}
            """;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return KubectlQuartet.standard()
                .run(
                        args,
                        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void plansAFileAsJson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("scenario.yaml");
        Files.writeString(file, SCENARIO);
        assertThat(run("", "plan", file.toString())).isZero();
        String json = out.toString(StandardCharsets.UTF_8);
        assertThat(json)
                .startsWith("{\n  \"gpus\" : [ {\n    \"node\" : \"node-a\",\n    \"index\" : 0,\n"
                        + "    \"model\" : \"A30\",\n    \"layout\" : [ {\n      \"profile\" : \"1g.6gb\",\n");
        assertThat(json)
                .contains(
                        "\"replica\" : \"default/resnet-0\"",
                        "\"profile\" : \"2g.12gb\"",
                        "\"moved\" : [ ]",
                        "\"released\" : [ ]",
                        "\"unsatisfied\" : [ ]");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void theSameScenarioInAnyOrderPrintsTheSameBytes() {
        run(SCENARIO, "plan", "-");
        String first = out.toString(StandardCharsets.UTF_8);
        out.reset();
        int nodeA = SCENARIO.indexOf("  - name: node-a");
        int demands = SCENARIO.indexOf("demands:");
        String reordered = "nodes:\n" + SCENARIO.substring(nodeA, demands)
                + SCENARIO.substring("nodes:\n".length(), nodeA) + "demands:\n"
                + "  - {name: default/bert, memoryGiB: 10, replicas: 1, priority: 10}\n"
                + "  - {name: default/resnet, profile: 1g.6gb, replicas: 3}\n";
        assertThat(reordered).isNotEqualTo(SCENARIO);
        run(reordered, "plan", "-");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(first);
    }

    @Test
    void theIdleGpuCoverFlagReachesThePlanner() {
        StringBuilder scenario = new StringBuilder("nodes:\n  - name: a\n    gpus:\n");
        for (int i = 0; i < 7; i++) {
            scenario.append("      - {index: ").append(i).append(", model: A100-80GB, instances: []}\n");
        }
        scenario.append("demands:\n  - {name: ns/small, profile: 1g.10gb, replicas: 42}\n");
        assertThat(run(scenario.toString(), "plan", "-")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).split("\"repartition\" : true", -1))
                .hasSize(8);
        out.reset();
        assertThat(run(scenario.toString(), "plan", "--idle-gpu-cover-min-slices", "0", "-"))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).split("\"repartition\" : true", -1))
                .hasSize(7);
        out.reset();
        assertThat(run(scenario.toString(), "plan", "--idle-gpu-cover-min-slices", "-1", "-"))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("kubectl quartet plan: --idle-gpu-cover-min-slices takes a whole number, 0 or more\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void badInputExitsTwoWithOneLine() {
        assertThat(run("demands: [{name: ns/x, profile: 1g.6gb, replicas: -2}]", "plan", "-"))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("-: demands[0]: replicas must not be negative (got -2)\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aMissingFileOrCommandIsBadInput() {
        assertThat(run("", "plan", "/no/such/file.yaml")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("/no/such/file.yaml: no such file\n");
        err.reset();
        assertThat(run("", "nonsense")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("kubectl quartet: unknown command 'nonsense'");
    }
}
