package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.PciDeviceId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What nvidia-mig-parted apply does to a node's GPUs. */
class MigPartedApplyTest {

    private static final MigPartedConfig NVIDIA = MigPartedConfig.parse(MigConfigMapStore.defaultConfigYaml());

    /** NVIDIA's defaults plus three configs of our own. */
    private final MigPartedConfig config = MigPartedConfig.parse(MigConfigMapStore.defaultConfigYaml()
            .replace(
                    "mig-configs:\n",
                    "mig-configs:\n"
                            + "  too-many:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 5}\n"
                            + "  gpu0-split:\n    - devices: [0]\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 4}\n"
                            + "  fragmented:\n    - devices: all\n      mig-enabled: true\n"
                            + "      mig-devices: {\"2g.12gb\": 1, \"1g.6gb\": 3}\n"));

    private static List<GpuHardware> node(GpuModel model, int count, String layout) {
        List<GpuHardware> gpus = new ArrayList<>();
        MigLayout l = MigLayout.parse(layout);
        for (int i = 0; i < count; i++) {
            gpus.add(GpuHardware.of(
                    "n", i, model, l.migEnabled(), l.placeOn(model).instances()));
        }
        return gpus;
    }

    private static Map<String, Integer> countsAfter(String configName, GpuModel model, int gpu) {
        MigPartedApply.Outcome out = MigPartedApply.apply(NVIDIA, configName, node(model, 2, "none"), Map.of());
        assertThat(out.succeeded())
                .as("%s on %s: %s", configName, model, out.failure())
                .isTrue();
        return out.gpus().get(gpu).counts();
    }

    private static List<GpuHardware> a30Node(String layout) {
        List<GpuHardware> gpus = new ArrayList<>();
        MigLayout l = MigLayout.parse(layout);
        for (int i = 0; i < 4; i++) {
            gpus.add(GpuHardware.of(
                    "n",
                    i,
                    GpuModel.A30,
                    l.migEnabled(),
                    l.placeOn(GpuModel.A30).instances()));
        }
        return gpus;
    }

    @Test
    void changesOnlyGpusWhoseLayoutDiffers() {
        List<GpuHardware> gpus = a30Node("1x4g.24gb");
        MigPartedApply.Outcome out = MigPartedApply.apply(config, "gpu0-split", gpus, Map.of(1, "pod a/b"));
        assertThat(out.succeeded()).isTrue();
        assertThat(out.changed()).containsExactly(0);
        assertThat(out.gpus().get(0).counts()).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(out.gpus().subList(1, 4)).isEqualTo(gpus.subList(1, 4));
    }

    @Test
    void unchangedGpusKeepTheirDevicesAndUuidsEvenWhenBusy() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        MigPartedApply.Outcome out =
                MigPartedApply.apply(config, "all-1g.6gb", gpus, Map.of(0, "pod a/b", 3, "pod c/d"));
        assertThat(out.succeeded()).isTrue();
        assertThat(out.changed()).isEmpty();
        assertThat(out.gpus()).isEqualTo(gpus);
    }

    @Test
    void recreatedGpusGetNewMigUuids() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        MigPartedApply.Outcome out = MigPartedApply.apply(config, "all-4g.24gb", gpus, Map.of());
        assertThat(out.changed()).containsExactly(0, 1, 2, 3);
        assertThat(out.gpus().get(0).devices()).singleElement().satisfies(d -> {
            assertThat(d.start()).isZero();
            assertThat(gpus.get(0).devices()).extracting(MigDevice::uuid).doesNotContain(d.uuid());
        });
        MigPartedApply.Outcome back = MigPartedApply.apply(config, "all-1g.6gb", out.gpus(), Map.of());
        assertThat(back.gpus().get(0).devices())
                .extracting(MigDevice::uuid)
                .doesNotContainAnyElementsOf(
                        gpus.get(0).devices().stream().map(MigDevice::uuid).toList());
    }

    @Test
    void aChangedGpuInUseFailsTheWholeApplyAndChangesNothing() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        MigPartedApply.Outcome out = MigPartedApply.apply(config, "all-2g.12gb", gpus, Map.of(2, "pod ns/replica-1"));
        assertThat(out.succeeded()).isFalse();
        assertThat(out.failure()).contains("GPU 2").contains("pod ns/replica-1");
        assertThat(out.gpus()).isEqualTo(gpus);
    }

    @Test
    void illegalGeometryAndUnknownConfigFail() {
        List<GpuHardware> gpus = a30Node("none");
        assertThat(MigPartedApply.apply(config, "too-many", gpus, Map.of()).failure())
                .contains("at most 4 x 1g.6gb");
        assertThat(MigPartedApply.apply(config, "fragmented", gpus, Map.of()).failure())
                .contains("asked 5 compute / 5 memory slices, the GPU has 4 / 4");
        assertThat(MigPartedApply.apply(config, "all-3g.20gb", gpus, Map.of()).failure())
                .contains("MIG profile 3g.20gb not found on this GPU");
        assertThat(MigPartedApply.apply(config, "no-such-config", gpus, Map.of())
                        .failure())
                .contains("selected mig-config not present");
    }

    @Test
    void configsFilteredToOtherModelsLeaveTheGpusAlone() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        MigPartedApply.Outcome out = MigPartedApply.apply(config, "all-1g.10gb", gpus, Map.of());
        assertThat(out.succeeded()).isTrue();
        assertThat(out.changed()).isEmpty();
    }

    @Test
    void migDisabledGpusHaveNoMigDevicesAndAreWholeGpus() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        MigPartedApply.Outcome out = MigPartedApply.apply(config, "all-disabled", gpus, Map.of());
        assertThat(out.gpus()).allSatisfy(g -> {
            assertThat(g.migEnabled()).isFalse();
            assertThat(g.devices()).isEmpty();
        });
        assertThat(GpuFeatureDiscovery.resources(GpuModel.A30, out.gpus()))
                .containsEntry("nvidia.com/gpu", 4)
                .containsEntry("nvidia.com/mig-1g.6gb", null);
        assertThat(MigPartedApply.apply(config, "all-enabled", out.gpus(), Map.of())
                        .gpus())
                .allSatisfy(g -> assertThat(g.migEnabled()).isTrue());
    }

    @Test
    void eachGpuGetsTheEntryItsPciIdSelects() {
        assertThat(countsAfter("all-balanced", GpuModel.A30, 1)).isEqualTo(Map.of("1g.6gb", 2, "2g.12gb", 1));
        assertThat(countsAfter("all-balanced", GpuModel.A100_40GB, 1))
                .isEqualTo(Map.of("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1));
        assertThat(countsAfter("all-balanced", GpuModel.A100_80GB, 0))
                .isEqualTo(Map.of("1g.10gb", 2, "2g.20gb", 1, "3g.40gb", 1));
        assertThat(countsAfter("all-balanced", GpuModel.H100_80GB, 1))
                .isEqualTo(Map.of("1g.10gb", 2, "2g.20gb", 1, "3g.40gb", 1));
        // one name, two profiles: 1g.10gb is GI 15 (two memory slices) on an A100-40GB, GI 19 on the 80GB GPUs
        assertThat(countsAfter("all-1g.10gb", GpuModel.A100_40GB, 0)).isEqualTo(Map.of("1g.10gb", 4));
        assertThat(countsAfter("all-1g.10gb", GpuModel.H100_80GB, 0)).isEqualTo(Map.of("1g.10gb", 7));
        assertThat(MigPartedApply.apply(NVIDIA, "all-1g.10gb", node(GpuModel.A30, 2, "none"), Map.of())
                        .changed())
                .isEmpty();
    }

    @Test
    void theMediaExtensionConfigsOfA100AndH100Apply() {
        assertThat(countsAfter("all-1g.10gb.me", GpuModel.H100_80GB, 0)).isEqualTo(Map.of("1g.10gb+me", 1));
        assertThat(countsAfter("all-1g.10gb.me", GpuModel.A100_80GB, 1)).isEqualTo(Map.of("1g.10gb+me", 1));
        assertThat(countsAfter("all-1g.5gb.me", GpuModel.A100_40GB, 0)).isEqualTo(Map.of("1g.5gb+me", 1));
    }

    @Test
    void aConfigForProfilesTheGpuDoesNotHaveFailsAndChangesNothing() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        for (String config : List.of("all-1g.24gb", "all-1g.24gb.me.all", "all-1g.24gb-me", "all-2g.48gb.gfx")) {
            MigPartedApply.Outcome out = MigPartedApply.apply(NVIDIA, config, gpus, Map.of());
            assertThat(out.failure()).as(config).contains("not found on this GPU");
            assertThat(out.gpus()).isEqualTo(gpus);
        }
    }

    @Test
    void theLastEntryThatSelectsAGpuWins() {
        MigPartedConfig layered = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  layered:
                    - devices: all
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}
                    - devices: [1]
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                    - device-filter: ["0x233010DE"]
                      devices: all
                      mig-enabled: true
                      mig-devices: {"7g.80gb": 1}
                """);

        List<GpuHardware> a30 = MigPartedApply.apply(layered, "layered", a30Node("none"), Map.of())
                .gpus();
        assertThat(a30)
                .extracting(GpuHardware::counts)
                .containsExactly(Map.of("1g.6gb", 4), Map.of("4g.24gb", 1), Map.of("1g.6gb", 4), Map.of("1g.6gb", 4));
        // GPU 1 already is what its last entry wants: skipped, even though the first entry wants something else
        assertThat(MigPartedApply.apply(layered, "layered", a30, Map.of(1, "pod a/b"))
                        .changed())
                .isEmpty();
        assertThat(MigPartedApply.apply(layered, "layered", node(GpuModel.H100_80GB, 2, "none"), Map.of())
                        .gpus())
                .extracting(GpuHardware::counts)
                .containsOnly(Map.of("7g.80gb", 1));
    }

    @Test
    void aProfileNameWrittenAnotherWayRecreatesTheGpuAsMigPartedDoes() {
        MigPartedConfig longNames = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  long-names:
                    - devices: all
                      mig-enabled: true
                      mig-devices: {"1c.1g.6gb": 4}
                """);
        List<GpuHardware> gpus = a30Node("4x1g.6gb");

        MigPartedApply.Outcome out = MigPartedApply.apply(longNames, "long-names", gpus, Map.of());

        assertThat(out.changed()).containsExactly(0, 1, 2, 3);
        assertThat(out.gpus()).extracting(GpuHardware::counts).containsOnly(Map.of("1g.6gb", 4));
        assertThat(out.gpus().get(0).devices())
                .extracting(MigDevice::uuid)
                .doesNotContainAnyElementsOf(
                        gpus.get(0).devices().stream().map(MigDevice::uuid).toList());
        assertThat(MigPartedApply.apply(longNames, "long-names", gpus, Map.of(2, "pod a/b"))
                        .succeeded())
                .isFalse();
    }

    /** Every config of NVIDIA's file, on every model the simulator offers: what its GPUs' last entry says. */
    @Test
    void everyDefaultConfigGivesEachGpuWhatItsLastMatchingEntryWantsOrFails() {
        int applied = 0;
        int failed = 0;
        int unselected = 0;
        for (GpuModel model : GpuModel.builtIns()) {
            PciDeviceId id = PciDeviceId.parse(model.pciDeviceId()).orElseThrow();
            for (String name : NVIDIA.configs().keySet()) {
                List<GpuHardware> before = node(model, 2, "none");
                MigPartedApply.Outcome out = MigPartedApply.apply(NVIDIA, name, before, Map.of());
                MigConfigSpec entry = NVIDIA.entryFor(name, 0, id).orElse(null);
                if (entry == null) {
                    assertThat(out.changed()).as("%s on %s", name, model).isEmpty();
                    unselected++;
                    continue;
                }
                boolean fits = entry.migDevices().keySet().stream()
                                .allMatch(p -> model.migTable().matching(p).isPresent())
                        && model.migTable().place(entry.migDevices()).legal();
                assertThat(out.succeeded())
                        .as("%s on %s: %s", name, model, out.failure())
                        .isEqualTo(fits);
                if (fits) {
                    applied++;
                    for (GpuHardware gpu : out.gpus()) {
                        assertThat(gpu.migEnabled()).isEqualTo(entry.migEnabled());
                        assertThat(gpu.counts()).as("%s on %s", name, model).isEqualTo(entry.migDevices());
                    }
                } else {
                    failed++;
                    assertThat(out.gpus()).isEqualTo(before);
                }
            }
        }
        // all-disabled, all-enabled, all-balanced and each model's own all-<profile> configs (MigProfileTableTest
        // counts
        // them); no entry selects an A30 in all-1g.10gb, nor any of the four in all-1g.35gb (H200 and GB300 only)
        assertThat(applied).isEqualTo(8 + 10 + 10 + 10);
        assertThat(unselected).isEqualTo(2 + 1 + 1 + 1);
        assertThat(failed).isEqualTo(4 * 81 - applied - unselected);
    }
}
