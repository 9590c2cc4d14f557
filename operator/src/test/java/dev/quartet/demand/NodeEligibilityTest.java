package dev.quartet.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.GpuNode;
import dev.quartet.nvidia.GpuModel;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeEligibilityTest {

    private static GpuNode node(Map<String, String> labels, Taint... taints) {
        return new GpuNode(
                "gpu-1",
                GpuModel.A30,
                4,
                true,
                Instant.EPOCH,
                true,
                labels,
                Map.of(),
                List.of(taints),
                "all-1g.6gb",
                "success",
                Map.of("1g.6gb", 16),
                0);
    }

    private static Taint taint(String key, String value, String effect) {
        return new TaintBuilder()
                .withKey(key)
                .withValue(value)
                .withEffect(effect)
                .build();
    }

    private static Toleration toleration(String key, String operator, String value, String effect) {
        return new TolerationBuilder()
                .withKey(key)
                .withOperator(operator)
                .withValue(value)
                .withEffect(effect)
                .build();
    }

    @Test
    void anUntaintedNodeWithoutSelectorIsEligible() {
        assertThat(NodeEligibility.eligible(node(Map.of()), null, null)).isTrue();
        assertThat(NodeEligibility.eligible(node(Map.of()), Map.of(), List.of()))
                .isTrue();
    }

    @Test
    void theNodeSelectorMustMatchEveryLabel() {
        GpuNode node = node(Map.of("pool", "inference", "zone", "a"));

        assertThat(NodeEligibility.eligible(node, Map.of("pool", "inference"), null))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, Map.of("pool", "inference", "zone", "a"), null))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, Map.of("pool", "inference", "zone", "b"), null))
                .isFalse();
        assertThat(NodeEligibility.eligible(node, Map.of("pool", "training"), null))
                .isFalse();
        assertThat(NodeEligibility.eligible(node, Map.of("rack", "r1"), null)).isFalse();
    }

    @Test
    void noScheduleAndNoExecuteTaintsNeedAToleration() {
        assertThat(NodeEligibility.eligible(node(Map.of(), taint("dedicated", "ml", "NoSchedule")), null, null))
                .isFalse();
        assertThat(NodeEligibility.eligible(node(Map.of(), taint("dedicated", "ml", "NoExecute")), null, List.of()))
                .isFalse();
    }

    @Test
    void runningPodsStayDespiteNoScheduleButNotDespiteNoExecuteOrAnotherSelector() {
        GpuNode maintenance = node(Map.of("pool", "a"), taint("maintenance", "soon", "NoSchedule"));
        GpuNode evicting = node(Map.of("pool", "a"), taint("maintenance", "now", "NoExecute"));

        assertThat(NodeEligibility.eligible(maintenance, null, null)).isFalse();
        assertThat(NodeEligibility.mayKeepRunning(maintenance, null, null)).isTrue();
        assertThat(NodeEligibility.mayKeepRunning(maintenance, Map.of("pool", "b"), null))
                .isFalse();
        assertThat(NodeEligibility.mayKeepRunning(evicting, null, null)).isFalse();
    }

    @Test
    void preferNoScheduleTaintsDoNotExcludeANode() {
        assertThat(NodeEligibility.eligible(node(Map.of(), taint("dedicated", "ml", "PreferNoSchedule")), null, null))
                .isTrue();
    }

    @Test
    void anEqualTolerationNeedsKeyValueAndEffect() {
        GpuNode node = node(Map.of(), taint("dedicated", "ml", "NoSchedule"));

        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("dedicated", "Equal", "ml", "NoSchedule"))))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("dedicated", null, "ml", "NoSchedule"))))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("dedicated", "Equal", "ml", null))))
                .isTrue();
        assertThat(NodeEligibility.eligible(
                        node, null, List.of(toleration("dedicated", "Equal", "batch", "NoSchedule"))))
                .isFalse();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("team", "Equal", "ml", "NoSchedule"))))
                .isFalse();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("dedicated", "Equal", "ml", "NoExecute"))))
                .isFalse();
    }

    @Test
    void anEqualTolerationWithoutValueToleratesATaintWithoutValue() {
        GpuNode node = node(Map.of(), taint("gpu-maintenance", null, "NoSchedule"));

        assertThat(NodeEligibility.eligible(
                        node, null, List.of(toleration("gpu-maintenance", "Equal", null, "NoSchedule"))))
                .isTrue();
        assertThat(NodeEligibility.eligible(
                        node, null, List.of(toleration("gpu-maintenance", "Equal", "", "NoSchedule"))))
                .isTrue();
    }

    @Test
    void anExistsTolerationIgnoresTheValue() {
        GpuNode node = node(Map.of(), taint("nvidia.com/gpu", "present", "NoSchedule"));

        assertThat(NodeEligibility.eligible(
                        node, null, List.of(toleration("nvidia.com/gpu", "Exists", null, "NoSchedule"))))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("nvidia.com/gpu", "Exists", null, null))))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration("other", "Exists", null, null))))
                .isFalse();
    }

    @Test
    void anExistsTolerationWithoutKeyToleratesEveryTaintOfItsEffect() {
        GpuNode node = node(Map.of(), taint("a", "1", "NoSchedule"), taint("b", "2", "NoExecute"));

        assertThat(NodeEligibility.eligible(node, null, List.of(toleration(null, "Exists", null, null))))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, null, List.of(toleration(null, "Exists", null, "NoSchedule"))))
                .isFalse();
    }

    @Test
    void everyTaintMustBeToleratedAndTheSelectorStillApplies() {
        GpuNode node = node(Map.of("pool", "inference"), taint("a", "1", "NoSchedule"), taint("b", "2", "NoSchedule"));
        List<Toleration> both =
                List.of(toleration("a", "Equal", "1", "NoSchedule"), toleration("b", "Exists", null, "NoSchedule"));

        assertThat(NodeEligibility.eligible(node, null, both.subList(0, 1))).isFalse();
        assertThat(NodeEligibility.eligible(node, null, both)).isTrue();
        assertThat(NodeEligibility.eligible(node, Map.of("pool", "inference"), both))
                .isTrue();
        assertThat(NodeEligibility.eligible(node, Map.of("pool", "batch"), both))
                .isFalse();
    }
}
