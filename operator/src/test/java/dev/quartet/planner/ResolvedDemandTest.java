package dev.quartet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import org.junit.jupiter.api.Test;

class ResolvedDemandTest {

    @Test
    void aMemoryDemandGetsTheSmallestProfileWithoutMediaExtensionsThatHoldsIt() {
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A30, 10))
                .map(MigProfile::name)
                .contains("2g.12gb");
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A30, 6))
                .map(MigProfile::name)
                .contains("1g.6gb");
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A30, 25)).isEmpty();
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A100_40GB, 5))
                .map(MigProfile::name)
                .contains("1g.5gb");
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A100_40GB, 10))
                .map(MigProfile::name)
                .contains("1g.10gb");
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A100_40GB, 20))
                .map(MigProfile::name)
                .contains("3g.20gb");
        assertThat(ResolvedDemand.smallestFitting(GpuModel.A100_80GB, 10))
                .map(MigProfile::name)
                .contains("1g.10gb");
        assertThat(ResolvedDemand.smallestFitting(GpuModel.H100_80GB, 41))
                .map(MigProfile::name)
                .contains("7g.80gb");
    }
}
