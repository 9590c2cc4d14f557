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
    void eightSlotGpusAreTwiceAsWide() {
        GpuState gpu = new GpuState(0, GpuModel.H100_80GB, List.of(InstanceState.free("7g.80gb", 0)));
        assertThat(LayoutPicture.row(gpu)).isEqualTo("|" + String.format("%-95s", " 7g.80gb free") + "|");
    }
}
