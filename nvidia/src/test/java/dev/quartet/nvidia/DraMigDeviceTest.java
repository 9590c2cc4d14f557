package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Device names as NVIDIA's DRA driver writes and parses them (mig.go ToCanonicalName, canonicalMigNameRegex). */
class DraMigDeviceTest {

    @Test
    void namesAProfileAtAPlacementAsTheDriverDoes() {
        assertThat(DraMigDevice.of(0, GpuModel.A30.requireProfile("1g.6gb"), 3).name())
                .isEqualTo("gpu-0-mig-1g6gb-14-3");
        assertThat(DraMigDevice.of(1, GpuModel.A30.requireProfile("2g.12gb+me"), 2)
                        .name())
                .isEqualTo("gpu-1-mig-2g12gb-me-6-2");
        assertThat(DraMigDevice.of(2, GpuModel.A100_40GB.requireProfile("1g.5gb"), 0)
                        .name())
                .isEqualTo("gpu-2-mig-1g5gb-19-0");
    }

    @Test
    void parsesNamesBackAndRefusesOtherShapes() {
        DraMigDevice d = DraMigDevice.parse("gpu-1-mig-2g12gb-me-6-2").orElseThrow();

        assertThat(d.gpuMinor()).isEqualTo(1);
        assertThat(d.giProfileId()).isEqualTo(6);
        assertThat(d.start()).isEqualTo(2);
        assertThat(d.profileOn(GpuModel.A30).orElseThrow().name()).isEqualTo("2g.12gb+me");
        assertThat(DraMigDevice.parse("gpu-0")).isEmpty();
        assertThat(DraMigDevice.parse("gpu-0-mig-1g.6gb-0")).isEmpty();
    }
}
