package dev.quartet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PlanQualityTest {

    @Test
    void sevenOneGInstancesLeaveSliceSevenUncoveredButNoRoomForAnotherInstance() {
        List<Instance> sevenOneG =
                IntStream.range(0, 7).mapToObj(s -> new Instance("1g.10gb", s)).toList();

        assertThat(PlanQuality.uncovered(GpuModel.A100_80GB, sevenOneG)).isEqualTo(1);
        assertThat(PlanQuality.coverable(GpuModel.A100_80GB, sevenOneG)).isZero();
    }

    @Test
    void theA30SlotOneAndTwoTrapLeavesRoomAtSlotsZeroAndThree() {
        List<Instance> trap = List.of(new Instance("1g.6gb", 1), new Instance("1g.6gb", 2));

        assertThat(PlanQuality.uncovered(GpuModel.A30, trap)).isEqualTo(2);
        assertThat(PlanQuality.coverable(GpuModel.A30, trap)).isEqualTo(2);
    }

    @Test
    void sixOneGInstancesLeaveRoomForAOneGTwentyAtSlotSix() {
        List<Instance> sixOneG =
                IntStream.range(0, 6).mapToObj(s -> new Instance("1g.10gb", s)).toList();

        assertThat(PlanQuality.coverable(GpuModel.H100_80GB, sixOneG)).isEqualTo(2);
    }
}
