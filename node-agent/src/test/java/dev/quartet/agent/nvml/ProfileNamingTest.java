package dev.quartet.agent.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Profile names as the device plugin advertises them, from NVML's profile index and memory (go-nvlib's rule). */
class ProfileNamingTest {

    static final long MIB = 1024L * 1024L;

    @Test
    void a30NamesMatchTheDevicePluginsResources() {
        long a30 = 24576 * MIB;
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE, 5952, a30)).isEqualTo("1g.6gb");
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE_REV1, 5952, a30)).isEqualTo("1g.6gb+me");
        assertThat(ProfileNaming.name(ProfileNaming.P2_SLICE, 11968, a30)).isEqualTo("2g.12gb");
        assertThat(ProfileNaming.name(ProfileNaming.P2_SLICE_REV1, 11968, a30)).isEqualTo("2g.12gb+me");
        assertThat(ProfileNaming.name(ProfileNaming.P4_SLICE, 24128, a30)).isEqualTo("4g.24gb");
    }

    @Test
    void a100MemoryRoundsToEighthsOfTheGpu() {
        long a100 = 40960 * MIB;
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE, 4864, a100)).isEqualTo("1g.5gb");
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE_REV2, 9856, a100)).isEqualTo("1g.10gb");
        assertThat(ProfileNaming.name(ProfileNaming.P3_SLICE, 19968, a100)).isEqualTo("3g.20gb");
        assertThat(ProfileNaming.name(ProfileNaming.P7_SLICE, 40192, a100)).isEqualTo("7g.40gb");
    }

    @Test
    void attributesComeFromTheIndex() {
        long h100 = 81559 * MIB;
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE_NO_ME, 9984, h100)).isEqualTo("1g.10gb-me");
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE_ALL_ME, 9984, h100))
                .isEqualTo("1g.10gb+me.all");
        assertThat(ProfileNaming.name(ProfileNaming.P1_SLICE_GFX, 9984, h100)).isEqualTo("1g.10gb+gfx");
    }

    @Test
    void anIndexGoNvlibDoesNotNameHasNoName() {
        assertThat(ProfileNaming.name(0x11, 9984, 81559 * MIB)).isNull();
    }
}
