package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigPartedConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What nvidia-mig-parted apply does to a node's GPUs. */
class MigPartedApplyTest {

    /** NVIDIA's defaults plus three configs of our own. */
    private final MigPartedConfig config = MigPartedConfig.parse(MigConfigMapStore.defaultConfigYaml()
            .replace(
                    "mig-configs:\n",
                    "mig-configs:\n"
                            + "  too-many:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 5}\n"
                            + "  gpu0-split:\n    - devices: [0]\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 4}\n"
                            + "  fragmented:\n    - devices: all\n      mig-enabled: true\n"
                            + "      mig-devices: {\"2g.12gb\": 1, \"1g.6gb\": 3}\n"));

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
}
