package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigPartedConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * mig-parted's own apply, as MIG Manager runs it (Strictness.ApplyModel.GPU_BY_GPU and the MIG mode changes): only
 * processes refuse, GPU by GPU, what failed stays half done.
 */
class MigPartedGpuByGpuTest {

    private static final MigPartedConfig CONFIG = MigPartedConfig.parse(MigConfigMapStore.defaultConfigYaml()
            .replace(
                    "mig-configs:\n",
                    "mig-configs:\n"
                            + "  too-many:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 5}\n"
                            + "  gpu0-split:\n    - devices: [0]\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 4}\n"
                            + "  layered:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.6gb\": 4}\n"
                            + "    - devices: [1]\n      mig-enabled: true\n      mig-devices: {\"4g.24gb\": 1}\n"
                            + "  gpu1-disabled:\n    - devices: [0]\n      mig-enabled: true\n"
                            + "      mig-devices: {\"1g.6gb\": 4}\n"
                            + "    - devices: [1]\n      mig-enabled: false\n"
                            + "  all-but-gpu1:\n    - devices: all\n      mig-enabled: true\n"
                            + "      mig-devices: {\"1g.6gb\": 4}\n"
                            + "    - devices: [1]\n      mig-enabled: false\n"));

    private static List<GpuHardware> a30Node(String... layouts) {
        List<GpuHardware> gpus = new ArrayList<>();
        for (int i = 0; i < layouts.length; i++) {
            MigLayout l = MigLayout.parse(layouts[i]);
            gpus.add(GpuHardware.of(
                    "n",
                    i,
                    GpuModel.A30,
                    l.migEnabled(),
                    l.placeOn(GpuModel.A30).instances()));
        }
        return gpus;
    }

    private static String uuidAt(GpuHardware gpu, int start) {
        return gpu.devices().stream()
                .filter(d -> d.start() == start)
                .findFirst()
                .orElseThrow()
                .uuid();
    }

    @Test
    void aDeviceHeldWithoutAProcessIsDestroyedUnderItsHolder() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        String idle = uuidAt(gpus.get(0), 1);
        // the gentle model refuses a GPU a pod merely holds ...
        assertThat(MigPartedApply.apply(CONFIG, "all-2g.12gb", gpus, Map.of(0, "pod ns/idle"))
                        .succeeded())
                .isFalse();
        // ... mig-parted only sees processes
        MigPartedApply.Outcome out = MigPartedApply.applyGpuByGpu(CONFIG, "all-2g.12gb", gpus, Map.of());
        assertThat(out.succeeded()).isTrue();
        assertThat(out.changed()).containsExactly(0);
        assertThat(out.gpus().get(0).devices()).extracting(MigDevice::uuid).doesNotContain(idle);
        assertThat(out.gpus().get(0).counts()).isEqualTo(Map.of("2g.12gb", 2));
    }

    @Test
    void aProcessStopsTheClearWhereNvmlWalksIntoItAndLeavesEarlierGpusChanged() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "4x1g.6gb", "4x1g.6gb");
        String busy = uuidAt(gpus.get(1), 2);
        MigPartedApply.Outcome out =
                MigPartedApply.applyGpuByGpu(CONFIG, "all-2g.12gb", gpus, Map.of(busy, "pod ns/replica"));
        assertThat(out.succeeded()).isFalse();
        assertThat(out.failure())
                .contains("GPU 1")
                .contains("1g.6gb@2")
                .contains("In use by another client")
                .contains("pod ns/replica");
        // GPU 0 came first and is changed; GPU 1 lost the instances NVML walked before the busy one; GPU 2 untouched
        assertThat(out.gpus().get(0).counts()).isEqualTo(Map.of("2g.12gb", 2));
        assertThat(out.gpus().get(1).devices()).extracting(MigDevice::start).containsExactly(2, 3);
        assertThat(out.gpus().get(1).devices().get(1).uuid())
                .as("survivors keep their UUIDs")
                .isEqualTo(uuidAt(gpus.get(1), 3));
        assertThat(out.gpus().get(2)).isEqualTo(gpus.get(2));
        assertThat(out.changed()).containsExactly(0, 1);
    }

    @Test
    void nvmlWalksSmallProfilesFirstSoABusyLargeInstanceLetsTheSmallOnesGo() {
        List<GpuHardware> gpus = a30Node("1x2g.12gb+2x1g.6gb");
        String twoG = uuidAt(gpus.get(0), 0);
        MigPartedApply.Outcome out =
                MigPartedApply.applyGpuByGpu(CONFIG, "all-1g.6gb", gpus, Map.of(twoG, "pod ns/big"));
        assertThat(out.succeeded()).isFalse();
        assertThat(out.gpus().get(0).devices()).extracting(MigDevice::uuid).containsExactly(twoG);
        assertThat(MigPartedApply.nvmlWalkOrder(GpuModel.A30.requireProfile("1g.6gb")))
                .isLessThan(MigPartedApply.nvmlWalkOrder(GpuModel.A30.requireProfile("2g.12gb")));
        assertThat(MigPartedApply.nvmlWalkOrder(GpuModel.A100_40GB.requireProfile("1g.10gb")))
                .as("1g.10gb is NVML's 1-slice REV2 profile on an A100-40GB")
                .isEqualTo(9);
    }

    @Test
    void anIllegalGeometryLeavesTheGpuClearedAsMigPartedsLastClearDoes() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb");
        MigPartedApply.Outcome out = MigPartedApply.applyGpuByGpu(CONFIG, "too-many", gpus, Map.of());
        assertThat(out.failure()).contains("at most 4 x 1g.6gb");
        assertThat(out.gpus().get(0).migEnabled()).isTrue();
        assertThat(out.gpus().get(0).devices()).isEmpty();
    }

    @Test
    void everyMatchingEntryIsAppliedInTurnSoAGpuAlreadyRightCanStillBeRecreated() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "1x4g.24gb");
        String fourG = uuidAt(gpus.get(1), 0);
        // the gentle model looks at GPU 1's last entry only and skips it
        assertThat(MigPartedApply.apply(CONFIG, "layered", gpus, Map.of()).changed())
                .isEmpty();
        // mig-parted applies "all: 4x1g.6gb" to GPU 1 first, then "[1]: 4g.24gb": a new 4g.24gb instance
        MigPartedApply.Outcome out = MigPartedApply.applyGpuByGpu(CONFIG, "layered", gpus, Map.of());
        assertThat(out.succeeded()).isTrue();
        assertThat(out.changed()).containsExactly(1);
        assertThat(out.gpus().get(1).counts()).isEqualTo(Map.of("4g.24gb", 1));
        assertThat(out.gpus().get(1).devices()).extracting(MigDevice::uuid).doesNotContain(fourG);
        // ... and with a process on it, fails although the end state is the same
        assertThat(MigPartedApply.applyGpuByGpu(CONFIG, "layered", gpus, Map.of(fourG, "pod ns/p"))
                        .failure())
                .contains("GPU 1");
        // mig-parted assert judges each GPU by its last entry: already applied, so MIG Manager skips it all
        assertThat(MigPartedApply.applied(CONFIG, "layered", gpus)).isTrue();
    }

    @Test
    void assertWantsEveryGpuSelectedAndEachOneAsItsLastEntrySays() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "4x1g.6gb");
        assertThat(MigPartedApply.applied(CONFIG, "all-1g.6gb", gpus)).isTrue();
        assertThat(MigPartedApply.applied(CONFIG, "all-2g.12gb", gpus)).isFalse();
        // GPU 0 is right, but GPU 1 is selected by no entry: mig-parted assert counts it as not matching
        assertThat(MigPartedApply.applied(CONFIG, "gpu0-split", gpus)).isFalse();
        assertThat(MigPartedApply.applied(CONFIG, "no-such-config", gpus)).isFalse();
    }

    @Test
    void aModeChangeClearsEveryMigGpuTheConfigSelectsThenResetsAllGpus() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "4x1g.6gb");
        assertThat(MigPartedApply.modesApplied(CONFIG, "gpu1-disabled", gpus)).isFalse();
        MigPartedApply.ModeStep step =
                MigPartedApply.applyModes(CONFIG, "gpu1-disabled", gpus, Map.of(), Strictness.MigModeChange.RESET);
        assertThat(step.failure()).isNull();
        // GPU 0 keeps MIG on but loses its instances: mig-parted clears every MIG GPU it walks before the reset
        assertThat(step.gpus().get(0).migEnabled()).isTrue();
        assertThat(step.gpus().get(0).devices()).isEmpty();
        assertThat(step.gpus().get(1).migEnabled()).isFalse();

        MigPartedApply.Result result = MigPartedApply.run(
                CONFIG,
                "gpu1-disabled",
                gpus,
                Map.of(),
                Map.of(),
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.RESET);
        assertThat(result.succeeded()).isTrue();
        assertThat(result.gpus().get(0).counts()).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(result.gpus().get(0).devices())
                .extracting(MigDevice::uuid)
                .doesNotContainAnyElementsOf(
                        gpus.get(0).devices().stream().map(MigDevice::uuid).toList());
        assertThat(result.gpus().get(1).migEnabled()).isFalse();
    }

    @Test
    void aProcessOnAnyGpuMakesTheResetFailAndTheApplyAfterItFailsOnTheModeLeftUnchanged() {
        List<GpuHardware> gpus = a30Node("disabled", "4x1g.6gb");
        Map<String, String> processes = Map.of(uuidAt(gpus.get(1), 0), "pod ns/p");
        // GPU 1 is not selected, but the reset is of all GPUs, and GPU 1 has a process
        MigPartedApply.ModeStep step =
                MigPartedApply.applyModes(CONFIG, "gpu0-split", gpus, processes, Strictness.MigModeChange.RESET);
        assertThat(step.failure()).contains("error resetting all GPUs").contains("pod ns/p");
        assertThat(step.gpus()).isEqualTo(gpus);
        // without WITH_REBOOT, MIG Manager goes on to apply, which fails on the GPU whose mode did not change
        MigPartedApply.Result result = MigPartedApply.run(
                CONFIG,
                "gpu0-split",
                gpus,
                Map.of(),
                processes,
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.RESET);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.failure()).contains("GPU 0").contains("unable to apply MIG config with MIG mode disabled");
        assertThat(result.gpus()).isEqualTo(gpus);
    }

    @Test
    void aModeStepStoppedByAProcessLeavesTheGpusItClearedBeforeIt() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "4x1g.6gb", "disabled");
        MigPartedApply.Result result = MigPartedApply.run(
                CONFIG,
                "all-1g.6gb",
                gpus,
                Map.of(),
                Map.of(uuidAt(gpus.get(1), 0), "pod ns/p"),
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.RESET);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.failure()).contains("GPU 2").contains("unable to apply MIG config with MIG mode disabled");
        // GPU 0 was cleared by the mode step before GPU 1's process stopped it, then recreated by the apply: the same
        // layout with new instances, destroyed under whoever held them; GPU 1 is as it was
        assertThat(result.gpus().get(0).counts()).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(result.gpus().get(0).devices())
                .extracting(MigDevice::uuid)
                .doesNotContainAnyElementsOf(
                        gpus.get(0).devices().stream().map(MigDevice::uuid).toList());
        assertThat(result.gpus().get(1)).isEqualTo(gpus.get(1));
        assertThat(result.gpus().get(2).migEnabled()).isFalse();
    }

    @Test
    void anEarlierEntryWantingMigOnAGpuALaterEntryDisablesFailsAsInMigParted() {
        // apply/config.go checks each entry against the GPU's mode as the mode step left it (the last entry's)
        MigPartedApply.Result result = MigPartedApply.run(
                CONFIG,
                "all-but-gpu1",
                a30Node("4x1g.6gb", "4x1g.6gb"),
                Map.of(),
                Map.of(),
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.RESET);
        assertThat(result.failure()).contains("GPU 1").contains("unable to apply MIG config with MIG mode disabled");
    }

    @Test
    void aFailingResetFailsTheModeChangeOrRebootsWithTheNewModesAtBoot() {
        List<GpuHardware> gpus = a30Node("disabled", "disabled");
        MigPartedApply.Result failed = MigPartedApply.run(
                CONFIG,
                "all-1g.6gb",
                gpus,
                Map.of(),
                Map.of(),
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.RESET_FAILS);
        assertThat(failed.reboot()).isFalse();
        assertThat(failed.failure()).contains("unable to apply MIG config with MIG mode disabled");
        assertThat(failed.gpus()).isEqualTo(gpus);

        MigPartedApply.Result reboot = MigPartedApply.run(
                CONFIG,
                "all-1g.6gb",
                gpus,
                Map.of(),
                Map.of(),
                Strictness.ApplyModel.ALL_OR_NOTHING,
                Strictness.MigModeChange.REBOOT);
        assertThat(reboot.reboot()).isTrue();
        assertThat(reboot.failure()).contains("GPU reset failed");
        assertThat(reboot.modesAtBoot()).isEqualTo(Map.of(0, true, 1, true));

        // in place (the gentle model) the modes just change
        MigPartedApply.Result inPlace = MigPartedApply.run(
                CONFIG,
                "all-1g.6gb",
                gpus,
                Map.of(),
                Map.of(),
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.IN_PLACE);
        assertThat(inPlace.succeeded()).isTrue();
        assertThat(inPlace.gpus()).extracting(GpuHardware::counts).containsOnly(Map.of("1g.6gb", 4));
    }

    @Test
    void aModeStepStoppedByAProcessRebootsWithTheModesItNeverSet() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "4x1g.6gb");
        MigPartedApply.Result reboot = MigPartedApply.run(
                CONFIG,
                "all-disabled",
                gpus,
                Map.of(),
                Map.of(uuidAt(gpus.get(0), 2), "pod ns/p"),
                Strictness.ApplyModel.GPU_BY_GPU,
                Strictness.MigModeChange.REBOOT);
        // WITH_REBOOT reboots on any failed mode change; this one failed before setting any mode, so MIG stays on
        // after the reboot (and MIG Manager then reports "did not take effect after rebooting")
        assertThat(reboot.reboot()).isTrue();
        assertThat(reboot.failure()).contains("In use by another client");
        assertThat(reboot.modesAtBoot()).isEqualTo(Map.of(0, true, 1, true));
        assertThat(reboot.gpus().get(0).devices()).extracting(MigDevice::start).containsExactly(2, 3);
    }

    @Test
    void withTheGentleModelAHolderBlocksTheModeStepToo() {
        List<GpuHardware> gpus = a30Node("4x1g.6gb", "disabled");
        String held = uuidAt(gpus.get(0), 3);
        MigPartedApply.Result result = MigPartedApply.run(
                CONFIG,
                "all-1g.6gb",
                gpus,
                Map.of(held, "pod ns/idle"),
                Map.of(),
                Strictness.ApplyModel.ALL_OR_NOTHING,
                Strictness.MigModeChange.RESET);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.failure()).contains("pod ns/idle");
        assertThat(result.gpus().get(0).devices()).extracting(MigDevice::uuid).containsExactly(held);
    }
}
