package dev.quartet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayoutPictureTest {

    @Test
    void eachInstanceIsAsWideAsItsMemorySlotsAndNamesItsReplica() {
        GpuState gpu = new GpuState(
                0,
                GpuModel.A30,
                List.of(
                        new InstanceState("1g.6gb", 0, "default/resnet-0", "default/resnet", false),
                        InstanceState.free("1g.6gb", 1),
                        new InstanceState("2g.12gb", 2, "ml/ocr-1", null, false)));
        String row = LayoutPicture.row(gpu);
        assertThat(row).isEqualTo("| 1g.6gb default/re~| 1g.6gb free       | 2g.12gb ml/ocr-1" + " ".repeat(22) + "|");
        assertThat(row.length()).isEqualTo(1 + 4 * LayoutPicture.slotWidth(4));
    }

    @Test
    void uncoveredSlotsShowAsDashes() {
        GpuState gpu = new GpuState(
                1, GpuModel.A30, List.of(InstanceState.free("1g.6gb", 1), InstanceState.free("1g.6gb", 2)));
        assertThat(LayoutPicture.row(gpu))
                .isEqualTo("| -                 | 1g.6gb free       | 1g.6gb free       | -" + " ".repeat(17) + "|");
    }

    @Test
    void aDraGpuHasOnlyTheInstancesClaimsHoldAndEachRunOfSlotsBetweenIsFree() {
        GpuState gpu = new GpuState(
                0,
                GpuModel.A30,
                List.of(
                        new InstanceState("1g.6gb", 1, "ml/small-0", "ml/small", true),
                        // what the inventory puts on the free space of a DRA node that takes no new pods
                        new InstanceState("1g.6gb", 3, "unavailable/dra-1/0@3", null, false)),
                true,
                true);
        assertThat(LayoutPicture.row(gpu))
                .isEqualTo("| free              | 1g.6gb ml/small-0 | free" + " ".repeat(34) + "|");
        assertThat(LayoutPicture.freeSlots(gpu)).isEqualTo(3);
    }

    @Test
    void eightSlotGpusAreTwiceAsWide() {
        GpuState gpu = new GpuState(0, GpuModel.H100_80GB, List.of(InstanceState.free("7g.80gb", 0)));
        assertThat(LayoutPicture.row(gpu)).isEqualTo("|" + String.format("%-95s", " 7g.80gb free") + "|");
    }

    @Test
    void eachNodeSaysMigManagersStateAndTheLastRepartitionWithItsOutcome() {
        io.fabric8.kubernetes.api.model.Node node = dev.quartet.inventory.TestNodes.node(
                        "gpu-1", "NVIDIA-A30", 1, "quartet-0a1b", "failed", java.util.Map.of())
                .editMetadata()
                .addToAnnotations(dev.quartet.inventory.QuartetLabels.NODE_CONFIG, "quartet-0a1b")
                .addToAnnotations(dev.quartet.inventory.QuartetLabels.NODE_CONFIG_REQUESTED_AT, "2026-05-01T12:00:00Z")
                .addToAnnotations(
                        dev.quartet.inventory.QuartetLabels.NODE_LAST_FAILURE,
                        "{\"config\":\"quartet-0a1b\",\"reason\":\"MigManagerFailed\",\"at\":\"2026-05-01T12:01:00Z\","
                                + "\"retryAfter\":\"2026-05-01T12:16:00Z\",\"rolledBackTo\":\"all-1g.6gb\"}")
                .endMetadata()
                .build();

        assertThat(LayoutPicture.migManager(
                        dev.quartet.inventory.GpuNode.from(node).orElseThrow()))
                .isEqualTo("MIG Manager: failed; last repartition: quartet-0a1b requested at 2026-05-01T12:00:00Z,"
                        + " failed; last failure: quartet-0a1b at 2026-05-01T12:01:00Z (MigManagerFailed), rolled back"
                        + " to all-1g.6gb, no retry before 2026-05-01T12:16:00Z");
        io.fabric8.kubernetes.api.model.Node untouched = dev.quartet.inventory.TestNodes.node(
                        "gpu-2", "NVIDIA-A30", 1, "all-1g.6gb", "success", java.util.Map.of())
                .build();
        assertThat(LayoutPicture.migManager(
                        dev.quartet.inventory.GpuNode.from(untouched).orElseThrow()))
                .isEqualTo("MIG Manager: success; Quartet has not repartitioned this node");
    }

    @Test
    void aMigNodeOfAGpuModelQuartetCannotPlanIsListedWithWhy() {
        dev.quartet.inventory.Inventory inventory = new dev.quartet.inventory.InventoryBuilder(
                        true, java.time.Duration.ofSeconds(30))
                .build(
                        new dev.quartet.inventory.ClusterSnapshot(
                                List.of(dev.quartet.inventory.TestNodes.h200Node("h200-1", false)),
                                List.of(),
                                null,
                                null),
                        new dev.quartet.inventory.InventoryBuilder.Owners(java.util.Map.of()),
                        java.time.Instant.parse("2026-05-01T12:00:00Z"));

        assertThat(LayoutPicture.render(inventory))
                .isEqualTo("h200-1  NOT PLANNED: GPU product NVIDIA-H200 is not one of Quartet's models (A30,"
                        + " A100-40GB, A100-80GB, H100-80GB) and the node agent reports no MIG profile table for NVIDIA"
                        + " H200 in quartet.dev/mig-profiles; the node is not planned\n"
                        + "slices in use: none; free: none\n");
    }
}
