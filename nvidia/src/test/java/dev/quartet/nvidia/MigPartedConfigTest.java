package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The mig-parted file as mig-parted reads it, on NVIDIA's whole current default file and on its edge cases. */
class MigPartedConfigTest {

    private static final MigPartedConfig NVIDIA = MigPartedConfig.parse(NvidiaDefaultConfig.text());
    private static final PciDeviceId A30 = PciDeviceId.parse("0x20B710DE").orElseThrow();
    private static final PciDeviceId H100_SXM = PciDeviceId.parse("0x233010DE").orElseThrow();
    private static final PciDeviceId A100_40GB = PciDeviceId.parse("0x20B010DE").orElseThrow();
    private static final PciDeviceId B200 = PciDeviceId.parse("0x290110DE").orElseThrow();

    private static MigPartedConfig parse(String text) {
        return MigPartedConfig.parse(text);
    }

    @Test
    void nvidiasWholeDefaultFileIsRead() {
        assertThat(NVIDIA.configs()).hasSize(81);
        assertThat(NVIDIA.configs().keySet())
                .startsWith("all-disabled", "all-enabled", "all-1g.5gb")
                .contains("all-1g.24gb.me.all", "all-1g.24gb-me", "all-2g.48gb.gfx", "all-balanced")
                .endsWith("all-7g.278gb");
        assertThat(NVIDIA.config("all-balanced").orElseThrow()).hasSize(12);
    }

    /** Each entry as the YAML tree has it, read here without the parser: nothing added, dropped or reordered. */
    @Test
    void everyEntryOfTheDefaultFileIsReadAsWritten() throws Exception {
        JsonNode tree = new YAMLMapper().readTree(NvidiaDefaultConfig.text()).get("mig-configs");
        List<String> names = new ArrayList<>();
        tree.fieldNames().forEachRemaining(names::add);
        assertThat(NVIDIA.configs().keySet()).containsExactlyElementsOf(names);
        int entries = 0;
        for (String name : names) {
            List<MigConfigSpec> parsed = NVIDIA.configs().get(name);
            JsonNode written = tree.get(name);
            assertThat(parsed).as(name).hasSize(written.size());
            for (int i = 0; i < written.size(); i++) {
                JsonNode w = written.get(i);
                MigConfigSpec p = parsed.get(i);
                String where = name + "[" + i + "]";
                List<String> filter = new ArrayList<>();
                if (w.has("device-filter")) {
                    if (w.get("device-filter").isArray()) {
                        w.get("device-filter").forEach(f -> filter.add(f.textValue()));
                    } else {
                        filter.add(w.get("device-filter").textValue());
                    }
                }
                assertThat(p.deviceFilter()).as(where).containsExactlyElementsOf(filter);
                if (w.get("devices").isTextual()) {
                    assertThat(w.get("devices").textValue()).isEqualTo("all");
                    assertThat(p.devices()).as(where).isNull();
                } else {
                    List<Integer> devices = new ArrayList<>();
                    w.get("devices").forEach(d -> devices.add(d.intValue()));
                    assertThat(p.devices()).as(where).containsExactlyElementsOf(devices);
                }
                assertThat(p.migEnabled())
                        .as(where)
                        .isEqualTo(w.get("mig-enabled").booleanValue());
                Map<String, Integer> devices = new LinkedHashMap<>();
                if (w.has("mig-devices")) {
                    for (Iterator<Map.Entry<String, JsonNode>> it =
                                    w.get("mig-devices").fields();
                            it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        devices.put(e.getKey(), e.getValue().intValue());
                    }
                }
                assertThat(p.migDevices().entrySet()).as(where).containsExactlyElementsOf(devices.entrySet());
                entries++;
            }
        }
        assertThat(entries).isEqualTo(94);
    }

    @Test
    void entriesOfGpusQuartetDoesNotKnowKeepTheirProfileNames() {
        assertThat(NVIDIA.config("all-1g.24gb.me.all").orElseThrow().get(0).migDevices())
                .containsExactly(Map.entry("1g.24gb+me.all", 1));
        assertThat(NVIDIA.config("all-1g.24gb-me").orElseThrow().get(0).migDevices())
                .containsExactly(Map.entry("1g.24gb-me", 4));
        assertThat(NVIDIA.config("all-2g.48gb.gfx").orElseThrow().get(0).migDevices())
                .containsExactly(Map.entry("2g.48gb+gfx", 2));
        assertThat(NVIDIA.entryFor("all-balanced", 0, B200).orElseThrow().migDevices())
                .containsExactly(Map.entry("1g.23gb", 2), Map.entry("2g.45gb", 1), Map.entry("3g.90gb", 1));
    }

    @Test
    void aDeviceFilterStringAndAListAreTheSame() {
        List<MigConfigSpec> balanced = NVIDIA.config("all-balanced").orElseThrow();
        MigConfigSpec a30 = balanced.stream()
                .filter(e -> e.deviceFilter().equals(List.of("0x20B710DE")))
                .findFirst()
                .orElseThrow();
        assertThat(a30.migDevices()).containsExactly(Map.entry("1g.6gb", 2), Map.entry("2g.12gb", 1));
        assertThat(NVIDIA.entryFor("all-balanced", 3, A30)).contains(a30);
        assertThat(NVIDIA.entryFor("all-balanced", 0, GpuModel.A30)).contains(a30);
    }

    @Test
    void deviceFiltersPickTheEntryOfEachGpu() {
        assertThat(NVIDIA.entriesPerGpu("all-1g.10gb", A100_40GB, 2).get(1).migDevices())
                .isEqualTo(Map.of("1g.10gb", 4));
        assertThat(NVIDIA.entriesPerGpu("all-1g.10gb", H100_SXM, 2).get(1).migDevices())
                .isEqualTo(Map.of("1g.10gb", 7));
        assertThat(NVIDIA.entriesPerGpu("all-1g.10gb", A30, 4)).isEmpty();
        assertThat(NVIDIA.entryFor("all-balanced", 0, GpuModel.H100_80GB)
                        .orElseThrow()
                        .migDevices())
                .isEqualTo(Map.of("1g.10gb", 2, "2g.20gb", 1, "3g.40gb", 1));
        assertThat(NVIDIA.entryFor("all-balanced", 0, GpuModel.A100_40GB)
                        .orElseThrow()
                        .migDevices())
                .isEqualTo(Map.of("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1));
        assertThat(NVIDIA.entryFor("all-1g.10gb", 0, GpuModel.A100_80GB)
                        .orElseThrow()
                        .migDevices())
                .isEqualTo(Map.of("1g.10gb", 7));
        assertThat(NVIDIA.entryFor("no-such-config", 0, GpuModel.A30)).isEmpty();
    }

    @Test
    void theLastEntryThatSelectsAGpuDecidesIt() {
        MigPartedConfig config = parse("""
                version: v1
                mig-configs:
                  layered:
                    - devices: [0, 1]
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}
                    - devices: all
                      mig-enabled: true
                      mig-devices: {"2g.12gb": 2}
                    - device-filter: "0x233010DE"
                      devices: all
                      mig-enabled: true
                      mig-devices: {"7g.80gb": 1}
                    - devices: [1, 3]
                      mig-enabled: false
                """);

        Map<Integer, MigConfigSpec> a30 = config.entriesPerGpu("layered", A30, 5);
        assertThat(a30.get(0).migDevices()).isEqualTo(Map.of("2g.12gb", 2));
        assertThat(a30.get(1).migEnabled()).isFalse();
        assertThat(a30.get(2).migDevices()).isEqualTo(Map.of("2g.12gb", 2));
        assertThat(a30.get(3).migEnabled()).isFalse();
        assertThat(a30.get(4).migDevices()).isEqualTo(Map.of("2g.12gb", 2));
        assertThat(config.entryFor("layered", 0, H100_SXM).orElseThrow().migDevices())
                .isEqualTo(Map.of("7g.80gb", 1));
        assertThat(config.entryFor("layered", 1, GpuModel.H100_80GB)
                        .orElseThrow()
                        .migEnabled())
                .isFalse();
    }

    /** The operator took the first match and asserted it (dev.quartet.inventory.MigPartedConfigTest, until now). */
    @Test
    void deviceListsSelectTheirIndicesAndTheLastMatchingGroupWins() {
        MigPartedConfig config = parse("""
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

        assertThat(config.entryFor("node-a-layout", 0, GpuModel.A30)
                        .orElseThrow()
                        .migDevices())
                .isEqualTo(Map.of("1g.6gb", 4));
        assertThat(config.entryFor("node-a-layout", 2, GpuModel.A30)
                        .orElseThrow()
                        .migDevices())
                .isEqualTo(Map.of("2g.12gb", 1, "1g.6gb", 2));
        // GPU 1 is selected twice: mig-parted applies both entries in order, so it ends with MIG off
        assertThat(config.entryFor("node-a-layout", 1, GpuModel.A30))
                .contains(new MigConfigSpec(List.of(), List.of(1, 3), false, Map.of()));
        assertThat(config.entryFor("node-a-layout", 3, GpuModel.A30)
                        .orElseThrow()
                        .migEnabled())
                .isFalse();
        assertThat(config.entryFor("node-a-layout", 4, GpuModel.A30)).isEmpty();
    }

    @Test
    void devicesAllSelectsEveryGpuOfEveryModelWithoutAFilter() {
        for (int gpu = 0; gpu < 8; gpu++) {
            assertThat(NVIDIA.entryFor("all-1g.6gb", gpu, GpuModel.A30)
                            .orElseThrow()
                            .migDevices())
                    .isEqualTo(Map.of("1g.6gb", 4));
        }
        assertThat(NVIDIA.entryFor("all-3g.40gb", 5, GpuModel.H100_80GB)
                        .orElseThrow()
                        .migDevices())
                .isEqualTo(Map.of("3g.40gb", 2));
        assertThat(NVIDIA.entryFor("all-7g.278gb", 0, GpuModel.A30)).isPresent();
    }

    @Test
    void gpusNoEntrySelectsAreLeftOut() {
        MigPartedConfig config = parse("""
                version: v1
                mig-configs:
                  two:
                    - devices: [0, 2]
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}
                """);

        assertThat(config.entriesPerGpu("two", A30, 4).keySet()).containsExactly(0, 2);
    }

    @Test
    void deviceFiltersAreNumbersNotText() {
        MigPartedConfig config = parse("""
                version: v1
                mig-configs:
                  lower-case:
                    - device-filter: "0x20b710de"
                      devices: all
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                  decimal:
                    - device-filter: ["548868318"]
                      devices: all
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                  unreadable:
                    - device-filter: ["A30"]
                      devices: all
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                  subsystem:
                    - device-filter: ["0x20B710DE:0x153210DE"]
                      devices: all
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                """);

        assertThat(config.entryFor("lower-case", 0, A30)).isPresent();
        assertThat(config.entryFor("lower-case", 0, GpuModel.A30)).isPresent();
        assertThat(config.entryFor("lower-case", 0, GpuModel.A100_40GB)).isEmpty();
        assertThat(config.entryFor("decimal", 0, A30)).isPresent();
        assertThat(config.entryFor("unreadable", 0, A30)).isEmpty();
        // a filter with a subsystem selects only GPUs with that subsystem; a GPU known by its model has none known
        assertThat(config.entryFor("subsystem", 0, A30)).isEmpty();
        assertThat(config.entryFor(
                        "subsystem",
                        0,
                        PciDeviceId.parse("0x20B710DE:0x153210DE").orElseThrow()))
                .isPresent();
        assertThat(config.entryFor("subsystem", 0, GpuModel.A30)).isEmpty();
    }

    @Test
    void emptyMigDevicesAreValidWithMigOnAndOff() {
        MigPartedConfig config = parse("""
                version: v1
                mig-configs:
                  off:
                    - devices: all
                      mig-enabled: false
                      mig-devices: {}
                  off-no-devices:
                    - devices: all
                      mig-enabled: false
                  on-no-instances:
                    - devices: all
                      mig-enabled: true
                      mig-devices: {}
                """);

        assertThat(config.configs().get("off")).containsExactly(new MigConfigSpec(List.of(), null, false, Map.of()));
        assertThat(config.configs().get("off-no-devices"))
                .containsExactly(new MigConfigSpec(List.of(), null, false, Map.of()));
        assertThat(config.configs().get("on-no-instances"))
                .containsExactly(new MigConfigSpec(List.of(), null, true, Map.of()));
    }

    @Test
    void aFileWithoutConfigsIsReadButAnEmptyConfigListIsNot() {
        assertThat(parse("version: v1\n").configs()).isEmpty();
        assertThatThrownBy(() -> parse("version: v1\nmig-configs: {}\n"))
                .hasMessage("mig-configs must hold at least one named config");
        assertThatThrownBy(() -> parse("version: v1\nmig-configs:\n"))
                .hasMessage("mig-configs must hold at least one named config");
        assertThatThrownBy(() -> parse("version: v1\nmig-configs:\n  none: []\n"))
                .hasMessage("mig-configs.none must be a list of at least one entry");
    }

    private static String entry(String fields) {
        return "version: v1\nmig-configs:\n  fine:\n    - devices: all\n      mig-enabled: false\n  broken:\n"
                + "    - devices: all\n      mig-enabled: false\n    - " + fields + "\n";
    }

    @Test
    void whatMigPartedRefusesIsRefusedWithTheEntryNamed() {
        assertThatThrownBy(() -> parse(entry("{devices: some, mig-enabled: false}")))
                .isInstanceOf(MigPartedConfig.InvalidConfigException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mig-configs.broken[1].devices must be 'all' or a list of GPU indices, got \"some\"");
        assertThatThrownBy(() -> parse(entry("{mig-enabled: false}")))
                .hasMessage("mig-configs.broken[1].devices is required");
        assertThatThrownBy(() -> parse(entry("{devices: [0, one], mig-enabled: false}")))
                .hasMessageStartingWith("mig-configs.broken[1].devices must be 'all' or a list of GPU indices");
        assertThatThrownBy(() -> parse(entry("{devices: all}")))
                .hasMessage("mig-configs.broken[1].mig-enabled is required");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: \"true\", mig-devices: {}}")))
                .hasMessageStartingWith("mig-configs.broken[1].mig-enabled must be true or false");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: true}")))
                .hasMessage("mig-configs.broken[1].mig-devices is required when mig-enabled is true");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: false, mig-devices: {1g.6gb: 1}}")))
                .hasMessage("mig-configs.broken[1].mig-devices must be empty when mig-enabled is false");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: true, mig-devices: {big: 1}}")))
                .hasMessageStartingWith("mig-configs.broken[1].mig-devices.big is no MIG profile name");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: true, mig-devices: {1g.6gb: four}}")))
                .hasMessage("mig-configs.broken[1].mig-devices.1g.6gb must be a number of instances, got \"four\"");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: true, mig-devices: {1g.6gb: -1}}")))
                .hasMessage("mig-configs.broken[1].mig-devices.1g.6gb must not be negative, got -1");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: true, mig-devices: {1g.6gb: 0}}")))
                .hasMessage("mig-configs.broken[1].mig-devices: all counts for all MIG profiles are 0");
        assertThatThrownBy(() -> parse(entry("{devices: all, mig-enabled: false, gpus: 2}")))
                .hasMessage("mig-configs.broken[1] has an unexpected field: gpus");
        assertThatThrownBy(() -> parse(entry("{device-filter: 0x20B710DE, devices: all, mig-enabled: false}")))
                .hasMessageStartingWith("mig-configs.broken[1].device-filter must be a string or a list of strings");
        assertThatThrownBy(() -> parse(entry("just-a-string"))).hasMessage("mig-configs.broken[1] must be a mapping");
    }

    @Test
    void theFileItselfMustBeAVersionOneMapping() {
        assertThatThrownBy(() -> parse("version: v2\nmig-configs: {a: [{devices: all, mig-enabled: false}]}\n"))
                .hasMessage("mig-parted config version must be v1, got 'v2'");
        assertThatThrownBy(() -> parse("mig-configs: {a: [{devices: all, mig-enabled: false}]}\n"))
                .hasMessage("mig-parted config version must be v1, got ''");
        assertThatThrownBy(() -> parse("version: v1\nextra: 1\nmig-configs: {a: [{devices: all, mig-enabled: false}]}"))
                .hasMessage("mig-parted config has an unexpected field: extra");
        assertThatThrownBy(() -> parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse("- just\n- a list\n")).hasMessageContaining("mapping");
        assertThatThrownBy(() -> parse("version: v1\nmig-configs: {a: [\n"))
                .hasMessageStartingWith("mig-parted config is not valid YAML");
    }

    @Test
    void aGpuAlreadyHasAnEntryOnlyWhenNamesAndCountsAreTheSameAsWritten() {
        assertThat(MigPartedConfig.alreadyApplied(Map.of("1g.6gb", 4), Map.of("1g.6gb", 4)))
                .isTrue();
        assertThat(MigPartedConfig.alreadyApplied(Map.of(), Map.of())).isTrue();
        assertThat(MigPartedConfig.alreadyApplied(Map.of("1g.6gb", 4), Map.of("1g.6gb", 3)))
                .isFalse();
        assertThat(MigPartedConfig.alreadyApplied(Map.of("1g.6gb", 4), Map.of("1c.1g.6gb", 4)))
                .isFalse();
        assertThat(MigPartedConfig.alreadyApplied(Map.of("1g.6gb", 4), Map.of("1g.6gb", 4, "2g.12gb", 0)))
                .isFalse();
        assertThat(MigPartedConfig.alreadyApplied(Map.of("2g.12gb", 2), Map.of()))
                .isFalse();
    }
}
