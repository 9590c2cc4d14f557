package dev.quartet.inventory;

import static dev.quartet.inventory.TestNodes.nvidiaDefault;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.inventory.MigPartedConfig.DeviceGroup;
import dev.quartet.planner.GpuModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MigPartedConfigTest {

    private static Map<String, Integer> countsFor(MigPartedConfig config, String name, int gpu, GpuModel model) {
        return config.groupFor(name, gpu, model).orElseThrow().migDevices();
    }

    @Test
    void readsEveryEntryOfNvidiasDefaultConfig() {
        MigPartedConfig config = MigPartedConfig.parse(nvidiaDefault());

        assertThat(config.configs())
                .containsOnlyKeys(
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
        assertThat(config.configs().get("all-disabled"))
                .containsExactly(new DeviceGroup(null, List.of(), false, Map.of()));
        assertThat(config.configs().get("all-enabled"))
                .containsExactly(new DeviceGroup(null, List.of(), true, Map.of()));
        assertThat(config.configs().get("all-1g.6gb.me"))
                .containsExactly(new DeviceGroup(null, List.of(), true, Map.of("1g.6gb+me", 1)));
        assertThat(config.configs().get("all-balanced")).hasSize(3);
    }

    @Test
    void devicesAllSelectsEveryGpuOfEveryModelWithoutAFilter() {
        MigPartedConfig config = MigPartedConfig.parse(nvidiaDefault());

        for (int gpu = 0; gpu < 8; gpu++) {
            assertThat(countsFor(config, "all-1g.6gb", gpu, GpuModel.A30)).isEqualTo(Map.of("1g.6gb", 4));
        }
        assertThat(countsFor(config, "all-3g.40gb", 5, GpuModel.H100_80GB)).isEqualTo(Map.of("3g.40gb", 2));
    }

    @Test
    void deviceFilterListPicksTheGroupOfTheGpuModel() {
        MigPartedConfig config = MigPartedConfig.parse(nvidiaDefault());

        assertThat(countsFor(config, "all-1g.10gb", 0, GpuModel.A100_40GB)).isEqualTo(Map.of("1g.10gb", 4));
        assertThat(countsFor(config, "all-1g.10gb", 0, GpuModel.A100_80GB)).isEqualTo(Map.of("1g.10gb", 7));
        assertThat(countsFor(config, "all-1g.10gb", 3, GpuModel.H100_80GB)).isEqualTo(Map.of("1g.10gb", 7));
        assertThat(countsFor(config, "all-balanced", 0, GpuModel.A100_40GB))
                .isEqualTo(Map.of("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1));
        assertThat(countsFor(config, "all-balanced", 1, GpuModel.H100_80GB))
                .isEqualTo(Map.of("1g.10gb", 2, "2g.20gb", 1, "3g.40gb", 1));
    }

    @Test
    void deviceFilterStringPicksTheA30Group() {
        MigPartedConfig config = MigPartedConfig.parse(nvidiaDefault());

        DeviceGroup a30 = config.groupFor("all-balanced", 2, GpuModel.A30).orElseThrow();
        assertThat(a30.deviceFilter()).containsExactly("0x20B710DE");
        assertThat(a30.devices()).isNull();
        assertThat(a30.migDevices()).isEqualTo(Map.of("1g.6gb", 2, "2g.12gb", 1));
    }

    @Test
    void deviceFilterMatchesPciIdsInAnyCase() {
        MigPartedConfig config = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  a30-only:
                    - device-filter: "0x20b710de"
                      devices: all
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                """);

        assertThat(config.groupFor("a30-only", 0, GpuModel.A30)).isPresent();
        assertThat(config.groupFor("a30-only", 0, GpuModel.A100_80GB)).isEmpty();
    }

    @Test
    void deviceListsSelectTheirIndicesAndTheLastMatchingGroupWins() {
        MigPartedConfig config = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  node-a-layout:
                    - devices: [0, 1]
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}
                    - devices: [2]
                      mig-enabled: true
                      mig-devices: {"2g.12gb": 1, "1g.6gb": 2}
                    - devices: [1, 3]
                      mig-enabled: false
                """);

        assertThat(countsFor(config, "node-a-layout", 0, GpuModel.A30)).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(countsFor(config, "node-a-layout", 2, GpuModel.A30)).isEqualTo(Map.of("2g.12gb", 1, "1g.6gb", 2));
        // GPU 1 is selected twice: mig-parted applies both groups in order, so it ends with MIG off.
        assertThat(config.groupFor("node-a-layout", 1, GpuModel.A30).orElseThrow())
                .isEqualTo(new DeviceGroup(List.of(1, 3), List.of(), false, Map.of()));
        assertThat(config.groupFor("node-a-layout", 3, GpuModel.A30)
                        .orElseThrow()
                        .migEnabled())
                .isFalse();
        assertThat(config.groupFor("node-a-layout", 4, GpuModel.A30)).isEmpty();
        assertThat(config.configs().get("node-a-layout").get(0).devices()).containsExactly(0, 1);
    }

    @Test
    void aLaterGroupForAllGpusOverridesAnEarlierOneForSomeAndAFilteredOneOnlyItsModel() {
        MigPartedConfig config = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  layered:
                    - devices: [0]
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                    - devices: all
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}
                    - device-filter: "0x233010DE"
                      devices: all
                      mig-enabled: true
                      mig-devices: {"7g.80gb": 1}
                """);

        assertThat(countsFor(config, "layered", 0, GpuModel.A30)).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(countsFor(config, "layered", 1, GpuModel.A30)).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(countsFor(config, "layered", 0, GpuModel.H100_80GB)).isEqualTo(Map.of("7g.80gb", 1));
    }

    @Test
    void anUnknownConfigNameSelectsNothing() {
        MigPartedConfig config = MigPartedConfig.parse(nvidiaDefault());

        assertThat(config.groupFor("quartet-0123456789", 0, GpuModel.A30)).isEmpty();
    }

    @Test
    void aGroupForAnotherModelOnlySelectsNothing() {
        MigPartedConfig config = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  h100-only:
                    - device-filter: ["0x233010DE", "0x233110DE"]
                      devices: all
                      mig-enabled: true
                      mig-devices: {"7g.80gb": 1}
                """);

        assertThat(config.groupFor("h100-only", 0, GpuModel.H100_80GB)).isPresent();
        assertThat(config.groupFor("h100-only", 0, GpuModel.A30)).isEmpty();
        assertThat(config.groupFor("h100-only", 0, GpuModel.A100_80GB)).isEmpty();
    }

    @Test
    void badDevicesNameTheEntry() {
        assertThatThrownBy(() -> MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  fine:
                    - devices: all
                      mig-enabled: false
                  broken:
                    - devices: all
                      mig-enabled: false
                    - devices: some
                      mig-enabled: false
                """))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mig-configs.broken[1].devices must be 'all' or a list of GPU indices");
    }

    @Test
    void missingDevicesNameTheEntry() {
        assertThatThrownBy(() -> MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  no-devices:
                    - mig-enabled: false
                """))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("mig-configs.no-devices[0].devices ");
    }

    @Test
    void aDeviceIndexThatIsNoNumberNamesTheEntry() {
        assertThatThrownBy(() -> MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  typo:
                    - devices: [0, one]
                      mig-enabled: false
                """))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("mig-configs.typo[0].devices ");
    }

    @Test
    void migDevicesAreRequiredWhenMigIsEnabled() {
        assertThatThrownBy(() -> MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  half-done:
                    - devices: all
                      mig-enabled: true
                """))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mig-configs.half-done[0].mig-devices is required when mig-enabled is true");
    }

    @Test
    void emptyMigDevicesAreReadWhetherMigIsOnOrOff() {
        MigPartedConfig config = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  off:
                    - devices: all
                      mig-enabled: false
                      mig-devices: {}
                  on-but-empty:
                    - devices: all
                      mig-enabled: true
                      mig-devices: {}
                """);

        assertThat(config.configs().get("off")).containsExactly(new DeviceGroup(null, List.of(), false, Map.of()));
        assertThat(config.configs().get("on-but-empty"))
                .containsExactly(new DeviceGroup(null, List.of(), true, Map.of()));
    }

    @Test
    void migDevicesAreRefusedWhenMigIsDisabled() {
        assertThatThrownBy(() -> MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  contradiction:
                    - devices: [0]
                      mig-enabled: false
                      mig-devices: {"1g.6gb": 4}
                """))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mig-configs.contradiction[0].mig-devices must be empty when mig-enabled is false");
    }

    @Test
    void anInstanceCountThatIsNoNumberNamesTheEntry() {
        assertThatThrownBy(() -> MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  typo:
                    - devices: all
                      mig-enabled: true
                      mig-devices: {"1g.6gb": four}
                """))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mig-configs.typo[0].mig-devices")
                .hasMessageContaining("1g.6gb");
    }

    @Test
    void onlyVersionV1IsRead() {
        assertThatThrownBy(() -> MigPartedConfig.parse("version: v2\nmig-configs: {}\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mig-parted config version must be v1, got 'v2'");
    }

    @Test
    void textThatIsNoMappingIsRefused() {
        assertThatThrownBy(() -> MigPartedConfig.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MigPartedConfig.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MigPartedConfig.parse("- just\n- a list\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mapping");
        assertThatThrownBy(() -> MigPartedConfig.parse("version: v1\nmig-configs: {a: [\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("mig-parted config is not valid YAML");
    }
}
