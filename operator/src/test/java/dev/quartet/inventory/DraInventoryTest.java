package dev.quartet.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.dependent.ReplicaClaimFactory;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.Placement;
import dev.quartet.sim.DraResourceSlices;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The inventory of nodes of NVIDIA's DRA driver: GPUs from ResourceSlices, placements in use from claims. */
class DraInventoryTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final InventoryBuilder.Owners OWNERS = new InventoryBuilder.Owners(
            Map.of("ml/small", new Demand("ml/small", "1g.6gb", null, 2, 0, null, true, Placement.SPREAD, null)));

    private static Node node(String name, boolean migManagerLabels) {
        NodeBuilder b = new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withUid("uid-" + name)
                .addToLabels("nvidia.com/mig.capable", "true")
                .addToLabels("nvidia.com/gpu.product", "NVIDIA-A30")
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .withLastTransitionTime("2026-12-01T11:00:00Z")
                .endCondition()
                .endStatus();
        if (migManagerLabels) {
            b.editMetadata()
                    .addToLabels("nvidia.com/mig.strategy", "mixed")
                    .addToLabels("nvidia.com/gpu.count", "2")
                    .endMetadata();
        }
        return b.build();
    }

    private static List<ResourceSlice> slices(String node) {
        return DraResourceSlices.of(node, "uid-" + node, GpuModel.A30, 2, new DraResourceSlices.Format(true, true));
    }

    private static ResourceClaim claim(String ns, String name, String node, String device, String replicaPod) {
        ResourceClaimBuilder b = new ResourceClaimBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .endMetadata()
                .withNewStatus()
                .withAllocation(ReplicaClaimFactory.allocation(node, device, NOW))
                .endStatus();
        if (replicaPod != null) {
            b.editMetadata()
                    .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                    .addToLabels(QuartetLabels.DEPLOYMENT, "small")
                    .addToLabels(QuartetLabels.REPLICA, replicaPod)
                    .endMetadata();
        }
        return b.build();
    }

    private static Pod replica(String name) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("ml")
                .withName(name)
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, "small")
                .endMetadata()
                .withNewSpec()
                .withNodeName("dra-1")
                .endSpec()
                .build();
    }

    private static Inventory build(NodeBackend.Choice choice, ClusterSnapshot snapshot) {
        return new InventoryBuilder(true, false, Duration.ofSeconds(30), choice).build(snapshot, OWNERS, NOW);
    }

    private static ClusterSnapshot snapshot(List<ResourceSlice> slices, List<ResourceClaim> claims) {
        return new ClusterSnapshot(List.of(node("dra-1", false)), List.of(replica("small-0")), null, null)
                .withDra(slices, claims);
    }

    @Test
    void aNodeWithTheDriversMigDevicesIsADraNodeOfDynamicGpus() {
        Inventory inventory = build(
                NodeBackend.Choice.AUTO,
                snapshot(
                        slices("dra-1"),
                        List.of(
                                claim("ml", "small-0-mig", "dra-1", "gpu-0-mig-1g6gb-14-3", "small-0"),
                                claim("other", "theirs", "dra-1", "gpu-1-mig-2g12gb-5-2", null))));

        assertThat(inventory.isDra("dra-1")).isTrue();
        assertThat(inventory.nodes().get("dra-1").backend()).isEqualTo(NodeBackend.DRA);
        assertThat(inventory.nodes().get("dra-1").model()).isEqualTo(GpuModel.A30);
        assertThat(inventory.takesNewPods("dra-1")).isTrue();
        List<GpuState> gpus = inventory.state().nodes().get(0).gpus();
        assertThat(gpus).allMatch(GpuState::dynamic).extracting(GpuState::index).containsExactly(0, 1);
        assertThat(gpus.get(0).instances())
                .containsExactly(new InstanceState("1g.6gb", 3, "ml/small-0", "ml/small", true));
        assertThat(gpus.get(1).instances())
                .containsExactly(new InstanceState("2g.12gb", 2, "claim other/theirs", null, false));
        assertThat(inventory.claimedSlices())
                .containsEntry("ml/small-0", new ReplicaSlice(0, "1g.6gb", 3, "gpu-0-mig-1g6gb-14-3"));
        assertThat(inventory.draNodes().get("dra-1").gpus().get(0)).startsWith("GPU-");
        assertThat(inventory.draNodes().get("dra-1").overlapsHeld(1, "4g.24gb", 0))
                .isTrue();
        assertThat(inventory.draNodes().get("dra-1").overlapsHeld(1, "2g.12gb", 0))
                .isFalse();
    }

    @Test
    void aClaimWhoseReplicaIsGoneStillHoldsItsPlacement() {
        Inventory inventory = build(
                NodeBackend.Choice.AUTO,
                snapshot(
                        slices("dra-1"),
                        List.of(claim("ml", "small-9-mig", "dra-1", "gpu-0-mig-4g24gb-0-0", "small-9"))));

        assertThat(inventory.state().nodes().get(0).gpus().get(0).instances())
                .containsExactly(new InstanceState("4g.24gb", 0, "claim ml/small-9-mig", null, false));
    }

    @Test
    void aReplicaWaitingForItsAllocationHoldsItsPlannedPlacement() {
        Pod gated = replica("small-1");
        gated.getSpec().setNodeName(null);
        gated.getMetadata()
                .setAnnotations(Map.of(
                        QuartetLabels.PLANNED_NODE, "dra-1", QuartetLabels.PLANNED_DEVICE, "gpu-1-mig-1g6gb-14-2"));
        ClusterSnapshot snapshot = new ClusterSnapshot(List.of(node("dra-1", false)), List.of(gated), null, null)
                .withDra(slices("dra-1"), List.of());

        Inventory inventory = build(NodeBackend.Choice.AUTO, snapshot);

        assertThat(inventory.state().nodes().get(0).gpus().get(1).instances())
                .containsExactly(new InstanceState("1g.6gb", 2, "ml/small-1", "ml/small", true));
        assertThat(inventory.draNodes().get("dra-1").overlapsHeld(1, "2g.12gb", 2))
                .isTrue();
        assertThat(inventory.draNodes().get("dra-1").overlapsHeld(1, "1g.6gb", 2, "ml/small-1"))
                .as("what it holds itself")
                .isFalse();
        assertThat(inventory.claimedSlices())
                .as("no device until its claim is allocated")
                .isEmpty();
    }

    @Test
    void twoAllocationsOfOnePlacementDoNotStopPlanning() {
        Inventory inventory = build(
                NodeBackend.Choice.AUTO,
                snapshot(
                        slices("dra-1"),
                        List.of(
                                claim("other", "a", "dra-1", "gpu-0-mig-2g12gb-5-0", null),
                                claim("other", "b", "dra-1", "gpu-0-mig-1g6gb-14-1", null))));

        // planned with the first; the node takes no new pods (its free slots held by placeholders) until one goes
        assertThat(inventory.state().nodes().get(0).gpus().get(0).instances())
                .extracting(InstanceState::replica)
                .containsExactly("claim other/a", "unavailable/dra-1/0@2", "unavailable/dra-1/0@3");
        assertThat(inventory.takesNewPods("dra-1")).isFalse();
    }

    @Test
    void anIncompletePoolTakesNoNewPods() {
        List<ResourceSlice> some = new ArrayList<>(slices("dra-1"));
        some.remove(some.size() - 1);
        Inventory inventory = build(NodeBackend.Choice.AUTO, snapshot(some, List.of()));

        assertThat(inventory.takesNewPods("dra-1")).isFalse();
        assertThat(inventory.readiness().get("dra-1")).isEqualTo(NodeReadiness.SETTLING);
    }

    @Test
    void theChartValueLeavesOutTheOtherBackendsNodes() {
        ClusterSnapshot both = new ClusterSnapshot(
                        List.of(node("dra-1", false), node("mm-1", true)), List.of(), null, null)
                .withDra(slices("dra-1"), List.of());

        assertThat(build(NodeBackend.Choice.MIG_MANAGER, both).nodes()).containsOnlyKeys("mm-1");
        assertThat(build(NodeBackend.Choice.DRA, both).nodes()).containsOnlyKeys("dra-1");
        assertThat(build(NodeBackend.Choice.AUTO, both).nodes()).containsOnlyKeys("dra-1", "mm-1");
        assertThat(build(NodeBackend.Choice.AUTO, both).isDra("mm-1")).isFalse();
    }

    @Test
    void withTheDriversSlicesMigManagersLabelsDoNotMakeItAMigManagerNode() {
        ClusterSnapshot snapshot = new ClusterSnapshot(List.of(node("dra-1", true)), List.of(), null, null)
                .withDra(slices("dra-1"), List.of());

        assertThat(build(NodeBackend.Choice.AUTO, snapshot).isDra("dra-1")).isTrue();
    }

    @Test
    void choicesParseAsTheChartWritesThem() {
        assertThat(NodeBackend.Choice.parse("migManager")).isEqualTo(NodeBackend.Choice.MIG_MANAGER);
        assertThat(NodeBackend.Choice.parse("mig-manager")).isEqualTo(NodeBackend.Choice.MIG_MANAGER);
        assertThat(NodeBackend.Choice.parse("dra")).isEqualTo(NodeBackend.Choice.DRA);
        assertThat(NodeBackend.Choice.parse("auto")).isEqualTo(NodeBackend.Choice.AUTO);
    }
}
