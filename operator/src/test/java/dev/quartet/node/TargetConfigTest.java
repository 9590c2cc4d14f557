package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.TestNodes;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.Instance;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetConfigTest {

    /**
     * An administrator's config for a 2-GPU A30 node that selects GPU 1 twice: first with every GPU at 4x 1g.6gb,
     * then on its own at 1x 4g.24gb. mig-parted applies both in order, so GPU 1 runs 1x 4g.24gb.
     */
    private static final MigPartedConfig LAYERED = MigPartedConfig.parse("""
            version: v1
            mig-configs:
              layered:
                - devices: all
                  mig-enabled: true
                  mig-devices: {"1g.6gb": 4}
                - devices: [1]
                  mig-enabled: true
                  mig-devices: {"4g.24gb": 1}
            """);

    private static GpuNode node() {
        return GpuNode.from(TestNodes.node(
                                "gpu-node-1",
                                "NVIDIA-A30",
                                2,
                                "layered",
                                NvidiaLabels.STATE_SUCCESS,
                                Map.of(
                                        NvidiaLabels.resourceName("1g.6gb"),
                                        new Quantity("4"),
                                        NvidiaLabels.resourceName("4g.24gb"),
                                        new Quantity("1")))
                        .build())
                .orElseThrow();
    }

    @Test
    void aGpuThePlanLeavesAloneKeepsTheLastEntryThatSelectsIt() {
        List<Instance> halves = List.of(new Instance("2g.12gb", 0), new Instance("2g.12gb", 2));
        Plan plan = new Plan(
                List.of(
                        new GpuPlan("gpu-node-1", 0, GpuModel.A30, halves, true),
                        new GpuPlan("gpu-node-1", 1, GpuModel.A30, List.of(new Instance("4g.24gb", 0)), false)),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        List<MigConfigSpec> groups = TargetConfig.groups(node(), plan, LAYERED, Set.of());

        // Had GPU 1 been given the first entry (4x 1g.6gb), MIG Manager would wipe it, without a drain.
        assertThat(groups)
                .containsExactly(
                        new MigConfigSpec(List.of(), List.of(0), true, Map.of("2g.12gb", 2)),
                        new MigConfigSpec(List.of(), List.of(1), true, Map.of("4g.24gb", 1)));
    }

    @Test
    void aGpuWithoutAPlanKeepsTheLastEntryThatSelectsIt() {
        Plan plan = new Plan(
                List.of(new GpuPlan("gpu-node-1", 0, GpuModel.A30, List.of(new Instance("4g.24gb", 0)), true)),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        assertThat(TargetConfig.groups(node(), plan, LAYERED, Set.of()))
                .containsExactly(new MigConfigSpec(List.of(), List.of(0, 1), true, Map.of("4g.24gb", 1)));
    }

    @Test
    void aGpuWithMigOffThatThePlanLeavesAloneIsNeverTurnedOn() {
        // Two A30s, both with MIG mode off, selecting a config the ConfigMap does not have: only the allocatable
        // (two nvidia.com/gpu) tells their mode. The plan changes GPU 0 and leaves GPU 1 as it is.
        GpuNode node = GpuNode.from(TestNodes.node(
                                "gpu-node-1",
                                "NVIDIA-A30",
                                2,
                                "unknown-config",
                                NvidiaLabels.STATE_SUCCESS,
                                Map.of(NvidiaLabels.FULL_GPU_RESOURCE, new Quantity("2")))
                        .build())
                .orElseThrow();
        Plan plan = new Plan(
                List.of(
                        new GpuPlan("gpu-node-1", 0, GpuModel.A30, List.of(new Instance("4g.24gb", 0)), true),
                        new GpuPlan("gpu-node-1", 1, GpuModel.A30, List.of(), false)),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        assertThat(TargetConfig.groups(node, plan, LAYERED, Set.of(0, 1)))
                .containsExactly(
                        new MigConfigSpec(List.of(), List.of(0), true, Map.of("4g.24gb", 1)),
                        new MigConfigSpec(List.of(), List.of(1), false, Map.of()));
    }
}
