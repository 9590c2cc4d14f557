package dev.quartet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Demand;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.Placement;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScenarioReaderTest {

    private static final String SCENARIO = """
            nodes:
              - name: node-a
                gpus:
                  - index: 0
                    model: A30
                    instances:
                      - {profile: 1g.6gb, start: 0, replica: default/resnet-0}
                      - {profile: 1g.6gb, start: 1, replica: default/bert-x, demand: default/bert}
                      - {profile: 2g.12gb, start: 2, replica: other/job-1, foreign: true}
            demands:
              - {name: default/resnet, profile: 1g.6gb, replicas: 6, priority: 0}
              - {name: default/bert, memoryGiB: 10, replicas: 2, priority: 10, movable: true, placement: pack,
                 gpuModel: A30, eligibleNodes: [node-a]}
            """;

    @Test
    void readsTheScenarioFormat() throws ScenarioException {
        Scenario scenario = new ScenarioReader().read(SCENARIO);
        assertThat(scenario.demands())
                .containsExactly(
                        new Demand("default/resnet", "1g.6gb", null, 6, 0, null, false, Placement.SPREAD, null),
                        new Demand(
                                "default/bert", null, 10, 2, 10, GpuModel.A30, true, Placement.PACK, Set.of("node-a")));
        assertThat(scenario.state().nodes().get(0).gpus().get(0).instances())
                .containsExactly(
                        new InstanceState("1g.6gb", 0, "default/resnet-0", "default/resnet", false),
                        new InstanceState("1g.6gb", 1, "default/bert-x", "default/bert", true),
                        new InstanceState("2g.12gb", 2, "other/job-1", null, false));
    }

    @Test
    void aNodeOrOneGpuMayBeFixed() throws ScenarioException {
        Scenario scenario = new ScenarioReader().read("""
                nodes:
                  - name: a
                    gpus: [{index: 0, model: A30, layoutFixed: true}, {index: 1, model: A30}]
                  - name: b
                    layoutFixed: true
                    gpus: [{index: 0, model: A30}]
                demands: []
                """);
        assertThat(scenario.state().nodes()).extracting(n -> n.layoutFixed()).containsExactly(false, true);
        assertThat(scenario.state().nodes().get(0).gpus())
                .extracting(g -> g.layoutFixed())
                .containsExactly(true, false);
    }

    @Test
    void aReplicasDemandIsItsNameWithoutTheLastSuffix() {
        assertThat(ScenarioReader.demandOf("default/resnet-0")).isEqualTo("default/resnet");
        assertThat(ScenarioReader.demandOf("ns/my-app-7f9c")).isEqualTo("ns/my-app");
        assertThat(ScenarioReader.demandOf("ns/plain")).isEqualTo("ns/plain");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "nodes: [{name: a, gpus: [{index: 0, model: A30}, {index: 0, model: A30}]}]"
                        + "|nodes[0].gpus[1]: duplicate GPU index 0 on node a",
                "nodes: [{name: a, gpus: [{index: 0, model: V100}]}]"
                        + "|nodes[0].gpus[0]: unknown GPU model 'V100' (legal: A30, A100-40GB, A100-80GB, H100-80GB)",
                "nodes: [{name: a, gpus: [{index: 0, model: A30, instances: [{profile: 3g.20gb, start: 0}]}]}]"
                        + "|nodes[0].gpus[0].instances[0]: unknown profile '3g.20gb' for A30 (legal: 1g.6gb, 1g.6gb+me, 2g.12gb,"
                        + " 2g.12gb+me, 4g.24gb)",
                "nodes: [{name: a, gpus: [{index: 0, model: A30, instances: [{profile: 2g.12gb, start: 0},"
                        + " {profile: 1g.6gb, start: 1}]}]}]"
                        + "|nodes[0].gpus[0].instances[1]: 1g.6gb@1: overlaps another instance at memory slice 1",
                "demands: [{name: ns/x, profile: 1g.6gb, replicas: -1}]"
                        + "|demands[0]: replicas must not be negative (got -1)",
                "demands: [{name: ns/x, profile: 1g.7, replicas: 1}]"
                        + "|demands[0]: cannot parse fields of '1g.7': expected '%dgb', got '7' (legal: A30: 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb;"
                        + " A100-40GB: 1g.5gb, 1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb; A100-80GB: 1g.10gb,"
                        + " 1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb; H100-80GB: 1g.10gb, 1g.10gb+me,"
                        + " 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb)",
                "demands: [{name: ns/x, replicas: 1}]|demands[0]: give exactly one of profile and memoryGiB",
                "demands: [{name: ns/x, profile: 1g.6gb, replicas: two}]"
                        + "|demands[0].replicas: expected an integer, got \"two\"",
                "demands: [{name: ns/x, profile: 1g.6gb, replica: 2}]"
                        + "|demands[0]: unknown field 'replica' (known: eligibleNodes, gpuModel, memoryGiB, movable, name,"
                        + " placement, priority, profile, replicas)",
                "nodes: [{name: a, gpus: [{index: 0, model: A30, instances: [{profile: 1g.6gb, start: 0, replica: ns/a-0},"
                        + " {profile: 1g.6gb, start: 1, replica: ns/a-0}]}]}]"
                        + "|nodes[0].gpus[0].instances[1]: replica ns/a-0 already runs at nodes[0].gpus[0].instances[0]",
            })
    void badInputIsOneLineNamingTheEntry(String yaml, String message) {
        assertThatThrownBy(() -> new ScenarioReader().read(yaml))
                .isInstanceOf(ScenarioException.class)
                .hasMessage(message);
    }

    @Test
    void malformedYamlSaysWhere() {
        assertThatThrownBy(() -> new ScenarioReader().read("nodes: [a\n  b: }"))
                .isInstanceOf(ScenarioException.class)
                .hasMessageStartingWith("malformed YAML at line ");
    }
}
