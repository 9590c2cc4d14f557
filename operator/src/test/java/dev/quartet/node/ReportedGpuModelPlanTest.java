package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.TestNodes;
import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Placement;
import dev.quartet.planner.Plan;
import dev.quartet.planner.UnsatisfiedReason;
import io.fabric8.kubernetes.api.model.Node;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A node of a GPU no built-in model describes (an H200), planned from the profile table its node agent reports: from
 * the node's annotations through the inventory and the planner's public entry point (as ClusterPlanning calls it) to
 * the mig-parted config Quartet writes for MIG Manager.
 */
class ReportedGpuModelPlanTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final MigPartedConfig NVIDIA = MigPartedConfig.parse(TestNodes.nvidiaDefault());

    private static Inventory inventory(Node... nodes) {
        return new InventoryBuilder(true, Duration.ofSeconds(30))
                .build(
                        new ClusterSnapshot(List.of(nodes), List.of(), NVIDIA, null),
                        new InventoryBuilder.Owners(Map.of()),
                        NOW);
    }

    @Test
    void aDeploymentOfAnH200ProfileIsPlacedThereAndGetsAMigPartedLayout() {
        Inventory inventory = inventory(TestNodes.h200Node("h200-1", true));
        GpuNode node = inventory.nodes().get("h200-1");
        assertThat(node.model().displayName()).isEqualTo("H200");
        assertThat(node.model().isBuiltIn()).isFalse();

        Plan plan = new MigPlanner()
                .plan(inventory.state(), List.of(Demand.ofProfile("ml/llm", "1g.18gb", 2, 0)), Set.of());

        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(plan.assignments())
                .hasSize(2)
                .allSatisfy(a -> assertThat(a.node()).isEqualTo("h200-1"));
        List<GpuPlan> repartitioned =
                plan.gpus().stream().filter(GpuPlan::repartition).toList();
        assertThat(repartitioned)
                .isNotEmpty()
                .allSatisfy(g -> assertThat(g.model()).isSameAs(node.model()));
        // Each planned layout is one the H200's hardware takes, where mig-parted's creation order puts it.
        for (GpuPlan g : repartitioned) {
            List<GpuInstance> instances = g.layout().stream()
                    .map(i -> new GpuInstance(node.model().requireProfile(i.profile()), i.start()))
                    .toList();
            assertThat(node.model().migTable().violations(instances)).isEmpty();
        }

        List<MigConfigSpec> groups = TargetConfig.groups(node, plan, NVIDIA, inventory.migOff("h200-1"));
        int planned = groups.stream()
                .mapToInt(s ->
                        s.migDevices().getOrDefault("1g.18gb", 0) * s.devices().size())
                .sum();
        assertThat(planned).isGreaterThanOrEqualTo(2);
        assertThat(groups).allSatisfy(s -> assertThat(s.deviceFilter()).isEmpty());
        String name = MigPartedConfigWriter.configName(groups);
        String written = MigPartedConfigWriter.rewrite(TestNodes.nvidiaDefault(), Map.of(name, groups), Set.of());
        MigPartedConfig reread = MigPartedConfig.parse(written);
        assertThat(reread.config(name).orElseThrow()).isEqualTo(groups);
        // mig-parted places each GPU's counts on the H200's table (the node agent's) without a refusal.
        for (MigConfigSpec s : groups) {
            assertThat(node.model().migTable().place(s.migDevices()).legal()).isTrue();
        }
    }

    @Test
    void aProfileNoGpuInTheClusterHasIsUnsatisfiedWithAReason() {
        Inventory inventory = inventory(TestNodes.h200Node("h200-1", true));

        Plan plan = new MigPlanner()
                .plan(inventory.state(), List.of(Demand.ofProfile("ml/huge", "1g.23gb", 1, 0)), Set.of());

        assertThat(plan.unsatisfied())
                .singleElement()
                .satisfies(u -> assertThat(u.reason()).isEqualTo(UnsatisfiedReason.NoMatchingGpuModel));
    }

    @Test
    void aDeploymentPinnedToABuiltInModelDoesNotLandOnTheH200() {
        Inventory inventory = inventory(TestNodes.h200Node("h200-1", true));
        Demand pinned =
                new Demand("ml/pinned", "1g.10gb", null, 1, 0, GpuModel.H100_80GB, true, Placement.SPREAD, null);

        Plan plan = new MigPlanner().plan(inventory.state(), List.of(pinned), Set.of());

        assertThat(plan.assignments()).isEmpty();
        assertThat(plan.unsatisfied())
                .singleElement()
                .satisfies(u -> assertThat(u.reason()).isEqualTo(UnsatisfiedReason.NoMatchingGpuModel));
    }
}
