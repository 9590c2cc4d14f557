package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The mig-parted config parser, on NVIDIA's real default ConfigMap. */
class MigPartedConfigTest {

    private final MigPartedConfig nvidia = MigPartedConfig.parse(MigPartedConfig.defaultConfigYaml());

    @Test
    void parsesNvidiasDefaultConfigMap() {
        assertThat(nvidia.configs().keySet())
                .containsExactly(
                        "all-disabled",
                        "all-enabled",
                        "all-1g.5gb",
                        "all-2g.10gb",
                        "all-3g.20gb",
                        "all-7g.40gb",
                        "all-1g.10gb",
                        "all-3g.40gb",
                        "all-7g.80gb",
                        "all-1g.6gb",
                        "all-1g.6gb.me",
                        "all-2g.12gb",
                        "all-2g.12gb.me",
                        "all-4g.24gb",
                        "all-balanced");
        MigConfigSpec disabled = nvidia.config("all-disabled").orElseThrow().get(0);
        assertThat(disabled.migEnabled()).isFalse();
        assertThat(disabled.devices()).isNull();
        assertThat(nvidia.config("all-enabled").orElseThrow().get(0).migDevices())
                .isEmpty();
        List<MigConfigSpec> balanced = nvidia.config("all-balanced").orElseThrow();
        assertThat(balanced).hasSize(3);
        assertThat(balanced.get(0).deviceFilter()).hasSize(8).contains("0x233010DE", "0x20B210DE");
        assertThat(balanced.get(2).deviceFilter()).containsExactly("0x20B710DE"); // a plain string in the file
        assertThat(balanced.get(2).migDevices()).isEqualTo(Map.of("1g.6gb", 2, "2g.12gb", 1));
    }

    @Test
    void deviceFiltersPickTheEntryForEachModel() {
        assertThat(nvidia.desiredPerGpu("all-balanced", GpuModel.A30, 4))
                .hasSize(4)
                .allSatisfy((i, s) -> assertThat(s.migDevices()).isEqualTo(Map.of("1g.6gb", 2, "2g.12gb", 1)));
        assertThat(nvidia.desiredPerGpu("all-balanced", GpuModel.A100_40GB, 2)
                        .get(1)
                        .migDevices())
                .isEqualTo(Map.of("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1));
        assertThat(nvidia.desiredPerGpu("all-1g.10gb", GpuModel.A100_40GB, 1)
                        .get(0)
                        .migDevices())
                .isEqualTo(Map.of("1g.10gb", 4));
        assertThat(nvidia.desiredPerGpu("all-1g.10gb", GpuModel.H100_80GB, 1)
                        .get(0)
                        .migDevices())
                .isEqualTo(Map.of("1g.10gb", 7));
        assertThat(nvidia.desiredPerGpu("all-1g.10gb", GpuModel.A30, 4)).isEmpty();
    }

    @Test
    void everyDefaultConfigThatNamesAModelsProfilesIsLegalOnThatModel() {
        for (GpuModel model : GpuModel.values()) {
            for (String name : nvidia.configs().keySet()) {
                nvidia.desiredPerGpu(name, model, 1).values().forEach(spec -> {
                    boolean known = spec.migDevices().keySet().stream()
                            .allMatch(p -> model.profile(p).isPresent());
                    if (known) {
                        assertThat(MigGeometry.place(model, spec.migDevices()).legal())
                                .as("%s on %s", name, model)
                                .isTrue();
                    }
                });
            }
        }
    }

    @Test
    void findsTheDefaultConfigYieldingALayout() {
        assertThat(nvidia.configYielding(MigLayout.parse("4x1g.6gb"), GpuModel.A30, 4))
                .contains("all-1g.6gb");
        assertThat(nvidia.configYielding(MigLayout.parse("1x2g.12gb+2x1g.6gb"), GpuModel.A30, 4))
                .contains("all-balanced");
        assertThat(nvidia.configYielding(MigLayout.NONE, GpuModel.A30, 4)).contains("all-enabled");
        assertThat(nvidia.configYielding(MigLayout.DISABLED, GpuModel.A30, 4)).contains("all-disabled");
        assertThat(nvidia.configYielding(MigLayout.parse("1x4g.24gb"), GpuModel.A30, 2))
                .contains("all-4g.24gb");
        assertThat(nvidia.configYielding(MigLayout.parse("3x1g.6gb"), GpuModel.A30, 4))
                .isEmpty();
        assertThat(nvidia.configYielding(MigLayout.parse("4x1g.10gb"), GpuModel.A100_40GB, 8))
                .contains("all-1g.10gb");
    }

    @Test
    void rejectsWhatMigPartedRejects() {
        assertThatThrownBy(() -> MigPartedConfig.parse("mig-configs: {a: [{devices: all, mig-enabled: false}]}"))
                .hasMessageContaining("unknown version");
        assertThatThrownBy(() -> MigPartedConfig.parse("version: v1\nmig-configs: {}"))
                .hasMessageContaining("at least one entry");
        assertThatThrownBy(() -> MigPartedConfig.parse(
                        "version: v1\nextra: 1\nmig-configs: {a: [{devices: all, " + "mig-enabled: false}]}"))
                .hasMessageContaining("unexpected field: extra");
        assertThatThrownBy(() -> MigPartedConfig.parse(
                        "version: v1\nmig-configs: {a: [{devices: some, " + "mig-enabled: false}]}"))
                .hasMessageContaining("invalid string input for 'devices'");
        assertThatThrownBy(() -> MigPartedConfig.parse(
                        "version: v1\nmig-configs: {a: [{devices: all, " + "mig-enabled: true}]}"))
                .hasMessageContaining("missing required field 'mig-devices'");
        assertThatThrownBy(() -> MigPartedConfig.parse("version: v1\nmig-configs: {a: [{devices: all, "
                        + "mig-enabled: false, mig-devices: {1g.6gb: 1}}]}"))
                .hasMessageContaining("MIG devices included");
        assertThatThrownBy(() -> MigPartedConfig.parse("version: v1\nmig-configs: {a: [{mig-enabled: false}]}"))
                .hasMessageContaining("missing required field: devices");
        assertThatThrownBy(() -> MigPartedConfig.parse("version: v1\nmig-configs: {a: [{devices: all, "
                        + "mig-enabled: true, mig-devices: {big: 1}}]}"))
                .hasMessageContaining("invalid MIG profile format");
    }

    @Test
    void acceptsIndexListsAndSelectsOnlyThoseGpus() {
        MigPartedConfig c = MigPartedConfig.parse("""
        version: v1
        mig-configs:
          node-a:
            - devices: [0, 2]
              mig-enabled: true
              mig-devices: {"1g.6gb": 4}
            - devices: [1]
              mig-enabled: false
        """);
        Map<Integer, MigConfigSpec> desired = c.desiredPerGpu("node-a", GpuModel.A30, 4);
        assertThat(desired.keySet()).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(desired.get(1).migEnabled()).isFalse();
    }

    @Test
    void addsASimEntryWithoutTouchingTheRestOfTheFile() {
        String original = MigPartedConfig.defaultConfigYaml();
        MigLayout layout = MigLayout.parse("3x1g.6gb");
        String updated = MigConfigMapStore.withEntry(original, layout.configName(), layout);
        assertThat(updated.replace(
                        "  sim-3x1g.6gb:\n    - devices: all\n      mig-enabled: true\n      mig-devices:\n"
                                + "        \"1g.6gb\": 3\n",
                        ""))
                .isEqualTo(original);
        MigPartedConfig parsed = MigPartedConfig.parse(updated);
        assertThat(parsed.configYielding(layout, GpuModel.A30, 4)).contains("sim-3x1g.6gb");
        assertThat(parsed.configs()).hasSize(nvidia.configs().size() + 1);
    }
}
