package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaDefaultConfig;
import org.junit.jupiter.api.Test;

/** The simulator's view of MIG Manager's ConfigMap: which config yields a layout, and the sim- entries it adds. */
class MigConfigMapStoreTest {

    private final MigPartedConfig nvidia = MigPartedConfig.parse(MigConfigMapStore.defaultConfigYaml());

    @Test
    void theDefaultIsNvidiasWholeCurrentFileByteForByte() {
        String fixture = NvidiaDefaultConfig.text();

        assertThat(MigConfigMapStore.defaultConfigYaml()).isEqualTo(fixture.substring(fixture.indexOf("version: v1")));
        assertThat(nvidia.configs()).hasSize(81);
    }

    @Test
    void findsTheDefaultConfigYieldingALayout() {
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.parse("4x1g.6gb"), GpuModel.A30, 4))
                .contains("all-1g.6gb");
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.parse("1x2g.12gb+2x1g.6gb"), GpuModel.A30, 4))
                .contains("all-balanced");
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.NONE, GpuModel.A30, 4))
                .contains("all-enabled");
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.DISABLED, GpuModel.A30, 4))
                .contains("all-disabled");
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.parse("1x4g.24gb"), GpuModel.A30, 2))
                .contains("all-4g.24gb");
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.parse("3x1g.6gb"), GpuModel.A30, 4))
                .isEmpty();
        assertThat(MigConfigMapStore.configYielding(nvidia, MigLayout.parse("4x1g.10gb"), GpuModel.A100_40GB, 8))
                .contains("all-1g.10gb");
    }

    @Test
    void addsASimEntryWithoutTouchingTheRestOfTheFile() {
        String original = MigConfigMapStore.defaultConfigYaml();
        MigLayout layout = MigLayout.parse("3x1g.6gb");
        String updated = MigConfigMapStore.withEntry(original, layout.configName(), layout);
        assertThat(updated.replace(
                        "  sim-3x1g.6gb:\n    - devices: all\n      mig-enabled: true\n      mig-devices:\n"
                                + "        \"1g.6gb\": 3\n",
                        ""))
                .isEqualTo(original);
        MigPartedConfig parsed = MigPartedConfig.parse(updated);
        assertThat(MigConfigMapStore.configYielding(parsed, layout, GpuModel.A30, 4))
                .contains("sim-3x1g.6gb");
        assertThat(parsed.configs()).hasSize(nvidia.configs().size() + 1);
    }
}
