package dev.quartet.sim;

import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.MigProfileTable;
import dev.quartet.nvidia.PciDeviceId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides what {@code nvidia-mig-parted} does to a node's GPUs for one selected config. Pure: takes the current GPUs
 * and who uses which device, returns the new GPUs and whether (and why) the apply failed.
 *
 * <p>Two models ({@link Strictness.ApplyModel}). {@link #apply} is the gentle one: each GPU gets what the last entry
 * selecting its index and PCI id wants ({@link MigPartedConfig#entryFor}), GPUs no entry selects are untouched, a GPU
 * whose MIG mode and instances already are what its entry asks, compared as mig-parted compares them
 * ({@link MigPartedConfig#alreadyApplied}), is skipped, every other GPU is wiped and recreated in one of mig-parted's
 * creation orders ({@link MigProfileTable#place}); any GPU that must change while something holds one of its devices
 * fails the whole apply, checked first, so nothing changes on failure.
 *
 * <p>{@link #run} is mig-parted's own, as MIG Manager calls it (NVIDIA/mig-parted pkg/mig/reconfigure/reconfigure.go,
 * {@code Run}: {@code apply --mode-only}, then {@code apply}): see {@link #applyModes} and {@link #applyGpuByGpu}.
 */
public final class MigPartedApply {

    private MigPartedApply() {}

    /** The outcome: the node's GPUs after the apply, which indices changed, or why it failed. */
    public record Outcome(List<GpuHardware> gpus, List<Integer> changed, String failure) {
        public boolean succeeded() {
            return failure == null;
        }
    }

    /**
     * What one MIG Manager run did with mig-parted.
     *
     * @param gpus        the GPUs afterwards (changed up to where a failure stopped it)
     * @param failure     why it failed, or null
     * @param reboot      MIG Manager reboots the node ({@code WITH_REBOOT}, the mode change failed)
     * @param modesAtBoot MIG mode of each GPU index after that reboot (the modes set pending by the mode step)
     */
    public record Result(List<GpuHardware> gpus, String failure, boolean reboot, Map<Integer, Boolean> modesAtBoot) {
        public boolean succeeded() {
            return failure == null && !reboot;
        }
    }

    /**
     * The gentle apply of {@code configName} of {@code config} to {@code gpus} (MIG mode changes in place).
     *
     * @param busy for each GPU index in use, a description of who uses it (e.g. {@code pod ns/name})
     */
    public static Outcome apply(
            MigPartedConfig config, String configName, List<GpuHardware> gpus, Map<Integer, String> busy) {
        return apply(config, configName, gpus, busy, true);
    }

    private static Outcome apply(
            MigPartedConfig config,
            String configName,
            List<GpuHardware> gpus,
            Map<Integer, String> busy,
            boolean modesInPlace) {
        if (gpus.isEmpty()) {
            return new Outcome(gpus, List.of(), "node has no GPUs");
        }
        GpuModel model = gpus.get(0).model();
        if (config.config(configName).isEmpty()) {
            return new Outcome(gpus, List.of(), "selected mig-config not present: " + configName);
        }
        Map<Integer, MigConfigSpec> desired = config.entriesPerGpu(configName, pciId(model), gpus.size());
        List<GpuHardware> result = new ArrayList<>(gpus);
        List<Integer> changed = new ArrayList<>();
        for (GpuHardware gpu : gpus) {
            MigConfigSpec spec = desired.get(gpu.index());
            if (spec == null || unchanged(gpu, spec)) {
                continue;
            }
            if (busy.containsKey(gpu.index())) {
                return new Outcome(
                        gpus,
                        List.of(),
                        "GPU " + gpu.index() + " must change but is in use by " + busy.get(gpu.index())
                                + "; MIG Manager does not drain workloads");
            }
            if (!modesInPlace && gpu.migEnabled() != spec.migEnabled()) {
                return new Outcome(gpus, List.of(), "GPU " + gpu.index() + ": " + modeMismatch(spec));
            }
            List<GpuInstance> instances = List.of();
            if (spec.migEnabled()) {
                MigProfileTable.Placement placement = model.migTable().place(spec.migDevices());
                if (!placement.legal()) {
                    return new Outcome(
                            gpus,
                            List.of(),
                            "GPU " + gpu.index() + " (" + model + "): " + MigLayout.describe(spec.migDevices()) + ": "
                                    + placement.error());
                }
                instances = placement.instances();
            }
            result.set(gpu.index(), gpu.reconfigured(spec.migEnabled(), instances));
            changed.add(gpu.index());
        }
        return new Outcome(List.copyOf(result), List.copyOf(changed), null);
    }

    private static boolean unchanged(GpuHardware gpu, MigConfigSpec spec) {
        if (gpu.migEnabled() != spec.migEnabled()) {
            return false;
        }
        return !spec.migEnabled() || MigPartedConfig.alreadyApplied(gpu.counts(), spec.migDevices());
    }

    /**
     * A MIG Manager run's mig-parted calls, in the given models: the mode step unless modes change in place, then the
     * config step ({@link #apply} or {@link #applyGpuByGpu}).
     *
     * @param held      who holds each device (MIG or GPU UUID), whether or not it runs a process on it
     * @param processes who runs a process on each device: what NVML sees, what refuses to be destroyed
     */
    public static Result run(
            MigPartedConfig config,
            String configName,
            List<GpuHardware> gpus,
            Map<String, String> held,
            Map<String, String> processes,
            Strictness.ApplyModel model,
            Strictness.MigModeChange modeChange) {
        if (config.config(configName).isEmpty()) {
            return new Result(gpus, "selected mig-config not present: " + configName, false, Map.of());
        }
        // with the gentle model a pod holding a device blocks like a process
        Map<String, String> blocking = model == Strictness.ApplyModel.GPU_BY_GPU ? processes : held;
        List<GpuHardware> current = gpus;
        if (modeChange != Strictness.MigModeChange.IN_PLACE && !modesApplied(config, configName, gpus)) {
            ModeStep mode = applyModes(config, configName, gpus, blocking, modeChange);
            current = mode.gpus();
            if (mode.failure() != null && modeChange == Strictness.MigModeChange.REBOOT) {
                return new Result(current, mode.failure(), true, mode.targets());
            }
            // Without WITH_REBOOT, reconfigure.go goes on to "apply" after a failed mode change: GPUs whose mode is
            // still wrong then fail that step.
        }
        boolean inPlace = modeChange == Strictness.MigModeChange.IN_PLACE;
        if (model == Strictness.ApplyModel.GPU_BY_GPU) {
            Outcome out = applyGpuByGpu(config, configName, current, blocking, inPlace);
            return new Result(out.gpus(), out.failure(), false, Map.of());
        }
        Outcome out = apply(config, configName, current, busyGpus(current, blocking), inPlace);
        return new Result(out.gpus(), out.failure(), false, Map.of());
    }

    /** GPU index to who blocks it, from who blocks which device. */
    private static Map<Integer, String> busyGpus(List<GpuHardware> gpus, Map<String, String> blocking) {
        Map<Integer, String> busy = new LinkedHashMap<>();
        for (GpuHardware gpu : gpus) {
            List<String> uuids = new ArrayList<>(List.of(gpu.uuid()));
            gpu.devices().forEach(d -> uuids.add(d.uuid()));
            for (String uuid : uuids) {
                if (blocking.containsKey(uuid)) {
                    busy.merge(gpu.index(), blocking.get(uuid), (a, b) -> a + ", " + b);
                }
            }
        }
        return busy;
    }

    /**
     * {@code nvidia-mig-parted assert}: whether the selected config is applied (reconfigure.go skips {@code pending}
     * and writes {@code success} when it is). As cmd/nvidia-mig-parted/assert/config.go {@code AssertMigConfig}: each
     * GPU judged by the last entry selecting it, and every GPU of the node must be selected.
     */
    public static boolean applied(MigPartedConfig config, String configName, List<GpuHardware> gpus) {
        if (gpus.isEmpty() || config.config(configName).isEmpty()) {
            return false;
        }
        Map<Integer, MigConfigSpec> desired =
                config.entriesPerGpu(configName, pciId(gpus.get(0).model()), gpus.size());
        return desired.size() == gpus.size() && gpus.stream().allMatch(g -> unchanged(g, desired.get(g.index())));
    }

    /**
     * {@code nvidia-mig-parted assert --mode-only} (assert/mode.go {@code AssertMigMode}): every entry's mode matches
     * every GPU it selects (each entry, not only the last).
     */
    public static boolean modesApplied(MigPartedConfig config, String configName, List<GpuHardware> gpus) {
        return walk(config, configName, gpus).stream()
                .allMatch(s -> s.entry().migEnabled() == gpus.get(s.gpu()).migEnabled());
    }

    /** One step of mig-parted's walk: an entry and a GPU it selects. */
    private record Step(MigConfigSpec entry, int gpu) {}

    /**
     * The (entry, GPU) pairs in the order mig-parted visits them: entries in file order, each over the GPUs it selects
     * in index order (cmd/nvidia-mig-parted/assert/assert.go, {@code WalkSelectedMigConfigForEachGPU}).
     */
    private static List<Step> walk(MigPartedConfig config, String configName, List<GpuHardware> gpus) {
        List<Step> steps = new ArrayList<>();
        if (gpus.isEmpty()) {
            return steps;
        }
        PciDeviceId pci = pciId(gpus.get(0).model());
        for (MigConfigSpec entry : config.config(configName).orElse(List.of())) {
            for (GpuHardware gpu : gpus) {
                if (entry.selects(gpu.index(), pci)) {
                    steps.add(new Step(entry, gpu.index()));
                }
            }
        }
        return steps;
    }

    /** What the mode step left: the GPUs, each GPU's target mode, and why it failed. */
    record ModeStep(List<GpuHardware> gpus, Map<Integer, Boolean> targets, String failure) {}

    /**
     * {@code nvidia-mig-parted apply --mode-only} (cmd/nvidia-mig-parted/apply/mode.go, {@code ApplyMigMode}), run
     * because some GPU's mode differs: along the walk, every selected GPU with MIG on is cleared (all its instances
     * destroyed, also where its mode stays) and gets its entry's mode set pending; then all GPUs are reset
     * ({@code util.ResetAllGPUs}), which fails while any GPU of the node has a process, and always with
     * {@link Strictness.MigModeChange#RESET_FAILS} and {@link Strictness.MigModeChange#REBOOT}. A failure stops the
     * walk where it happens; what was cleared stays cleared. Modes change only with a reset that works.
     */
    static ModeStep applyModes(
            MigPartedConfig config,
            String configName,
            List<GpuHardware> gpus,
            Map<String, String> processes,
            Strictness.MigModeChange modeChange) {
        List<GpuHardware> result = new ArrayList<>(gpus);
        Map<Integer, Boolean> targets = new HashMap<>();
        gpus.forEach(g -> targets.put(g.index(), g.migEnabled()));
        for (Step step : walk(config, configName, gpus)) {
            GpuHardware gpu = result.get(step.gpu());
            if (gpu.migEnabled()) {
                Cleared cleared = clear(gpu, processes);
                result.set(gpu.index(), cleared.gpu());
                if (cleared.failure() != null) {
                    return new ModeStep(
                            List.copyOf(result),
                            targets,
                            "error clearing existing MIG configurations: " + cleared.failure());
                }
            } else if (processes.containsKey(gpu.uuid())) {
                return new ModeStep(
                        List.copyOf(result),
                        targets,
                        "GPU " + gpu.index() + ": error setting MIG mode: in use by " + processes.get(gpu.uuid()));
            }
            targets.put(gpu.index(), step.entry().migEnabled());
        }
        boolean pending = result.stream().anyMatch(g -> targets.get(g.index()) != g.migEnabled());
        if (!pending) {
            return new ModeStep(List.copyOf(result), targets, null);
        }
        if (modeChange != Strictness.MigModeChange.RESET) {
            return new ModeStep(
                    List.copyOf(result),
                    targets,
                    "error resetting all GPUs: the GPU reset failed (as on VMs or with nvidia_drm loaded, "
                            + "NVIDIA/mig-parted#181)");
        }
        List<String> users = new ArrayList<>();
        for (GpuHardware gpu : result) {
            if (processes.containsKey(gpu.uuid())) {
                users.add(processes.get(gpu.uuid()));
            }
            gpu.devices().stream()
                    .filter(d -> processes.containsKey(d.uuid()))
                    .forEach(d -> users.add(processes.get(d.uuid())));
        }
        if (!users.isEmpty()) {
            return new ModeStep(
                    List.copyOf(result),
                    targets,
                    "error resetting all GPUs: GPUs in use by " + String.join(", ", users));
        }
        for (GpuHardware gpu : List.copyOf(result)) {
            if (targets.get(gpu.index()) != gpu.migEnabled()) {
                result.set(gpu.index(), gpu.reconfigured(targets.get(gpu.index()), List.of()));
            }
        }
        return new ModeStep(List.copyOf(result), targets, null);
    }

    /**
     * {@code nvidia-mig-parted apply} (cmd/nvidia-mig-parted/apply/config.go, {@code ApplyMigConfig}): along the walk,
     * each (entry, GPU) whose instances differ from the entry's, compared as mig-parted does, is cleared and recreated
     * (pkg/mig/config/config.go {@code SetMigConfig}), so a GPU selected by several entries is changed once per entry
     * that differs. Only an instance with a process refuses to be destroyed (NVML's {@code nvmlComputeInstanceDestroy}
     * answers "in use"): the clear stops there, the instances destroyed before it stay destroyed, and the apply stops,
     * leaving every GPU changed before it changed. An instance held by a pod without a process is destroyed under it.
     * A geometry the GPU cannot hold fails after the clear, leaving the GPU empty. A GPU whose MIG mode differs from
     * its entry fails (the mode step sets modes) unless {@code modesInPlace}, where the mode just changes, as in the
     * gentle model.
     *
     * @param processes who runs a process on each device
     */
    public static Outcome applyGpuByGpu(
            MigPartedConfig config, String configName, List<GpuHardware> gpus, Map<String, String> processes) {
        return applyGpuByGpu(config, configName, gpus, processes, true);
    }

    private static Outcome applyGpuByGpu(
            MigPartedConfig config,
            String configName,
            List<GpuHardware> gpus,
            Map<String, String> processes,
            boolean modesInPlace) {
        if (config.config(configName).isEmpty()) {
            return new Outcome(gpus, List.of(), "selected mig-config not present: " + configName);
        }
        List<GpuHardware> result = new ArrayList<>(gpus);
        List<Integer> changed = new ArrayList<>();
        for (Step step : walk(config, configName, gpus)) {
            GpuHardware gpu = result.get(step.gpu());
            MigConfigSpec spec = step.entry();
            String failure = null;
            if (gpu.migEnabled() != spec.migEnabled()) {
                if (!modesInPlace) {
                    failure = modeMismatch(spec);
                } else if (processes.containsKey(gpu.uuid())) {
                    failure = "error setting MIG mode: in use by " + processes.get(gpu.uuid());
                } else if (gpu.migEnabled()) {
                    Cleared cleared = clear(gpu, processes);
                    gpu = cleared.gpu();
                    failure = cleared.failure();
                }
                if (failure == null && !spec.migEnabled()) {
                    result.set(gpu.index(), gpu.reconfigured(false, List.of()));
                    addOnce(changed, gpu.index());
                    continue;
                }
            }
            if (failure == null && !spec.migEnabled()) {
                continue; // "Skipping MIG config -- MIG disabled"
            }
            if (failure == null
                    && gpu.migEnabled()
                    && MigPartedConfig.alreadyApplied(gpu.counts(), spec.migDevices())) {
                continue; // "Skipping -- already set to desired value"
            }
            if (failure == null) {
                Cleared cleared = clear(gpu, processes);
                gpu = cleared.gpu();
                failure = cleared.failure();
            }
            if (failure == null) {
                MigProfileTable.Placement placement = gpu.model().migTable().place(spec.migDevices());
                if (placement.legal()) {
                    result.set(gpu.index(), gpu.reconfigured(true, placement.instances()));
                    addOnce(changed, gpu.index());
                    continue;
                }
                gpu = gpu.reconfigured(true, List.of());
                failure = "error attempting multiple config orderings: " + MigLayout.describe(spec.migDevices()) + ": "
                        + placement.error();
            }
            if (!gpu.equals(gpus.get(gpu.index()))) {
                addOnce(changed, gpu.index());
            }
            result.set(gpu.index(), gpu);
            return new Outcome(
                    List.copyOf(result),
                    List.copyOf(changed),
                    "GPU " + gpu.index() + " (" + gpu.model() + "): " + failure);
        }
        return new Outcome(List.copyOf(result), List.copyOf(changed), null);
    }

    private static void addOnce(List<Integer> list, int value) {
        if (!list.contains(value)) {
            list.add(value);
        }
    }

    private static String modeMismatch(MigConfigSpec spec) {
        return spec.migEnabled()
                ? "unable to apply MIG config with MIG mode disabled"
                : "MIG mode is currently enabled, but the configuration specifies it should be disabled";
    }

    /** A GPU after a clear, and what stopped the clear. */
    private record Cleared(GpuHardware gpu, String failure) {}

    /**
     * {@code ClearMigConfig} (pkg/mig/config/config.go): destroys the GPU's instances in NVML's walk order
     * (internal/nvlib/mig/mig.go {@code WalkGpuInstances}: by GPU-instance profile index, see {@link #nvmlWalkOrder});
     * the first one with a process stops it, and those after it are not reached.
     */
    private static Cleared clear(GpuHardware gpu, Map<String, String> processes) {
        List<MigDevice> order = gpu.devices().stream()
                .sorted(Comparator.comparingInt((MigDevice d) -> nvmlWalkOrder(d.profile()))
                        .thenComparingInt(MigDevice::start))
                .toList();
        for (int i = 0; i < order.size(); i++) {
            MigDevice d = order.get(i);
            if (processes.containsKey(d.uuid())) {
                List<MigDevice> kept = order.subList(i, order.size());
                return new Cleared(
                        gpu.withDevices(kept),
                        "error destroying Compute instance of " + d.profile().name() + "@" + d.start()
                                + ": In use by another client (" + processes.get(d.uuid()) + ")");
            }
        }
        return new Cleared(gpu.withDevices(List.of()), null);
    }

    /**
     * The index NVML lists a GPU-instance profile under ({@code NVML_GPU_INSTANCE_PROFILE_*}: 1 slice 0, 2 slices 1,
     * 3 slices 2, 4 slices 3, 7 slices 4, 8 slices 5, 6 slices 6, 1 slice with media extensions (REV1) 7, 2 slices with
     * media extensions 8, 1 slice with two memory slices (REV2) 9), which {@code WalkGpuInstances} walks in increasing
     * order. Within one profile the driver's order is not documented; the start is taken.
     */
    static int nvmlWalkOrder(MigProfile profile) {
        int slices = profile.computeSlices();
        if (profile.mediaExtensions() && slices <= 2) {
            return slices == 1 ? 7 : 8;
        }
        return switch (slices) {
            case 1 -> profile.memorySlices() == 2 ? 9 : 0;
            case 2 -> 1;
            case 3 -> 2;
            case 4 -> 3;
            case 7 -> 4;
            case 8 -> 5;
            case 6 -> 6;
            default -> 10 + slices;
        };
    }

    private static PciDeviceId pciId(GpuModel model) {
        return PciDeviceId.parse(model.pciDeviceId()).orElseThrow();
    }
}
