package dev.quartet.sim;

import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.MigProfileTable;
import dev.quartet.nvidia.PciDeviceId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides what {@code nvidia-mig-parted apply} would do to a node's GPUs for one selected config. Pure: takes the
 * current GPUs and which of them hold a workload, returns the new GPUs or the reason the apply fails.
 *
 * <p>Faithful to mig-parted: each GPU gets what the last entry selecting its index and PCI id wants
 * ({@link MigPartedConfig#entryFor}); GPUs no entry selects are untouched; a GPU whose MIG mode and instances already
 * are what its entry asks, compared as mig-parted compares them ({@link MigPartedConfig#alreadyApplied}), is skipped
 * (placements are not compared, mig-parted does not either); every other GPU is wiped and recreated in one of
 * mig-parted's creation orders ({@link MigProfileTable#place}), which fails while a process uses it. Unlike
 * mig-parted, which stops at the first failing GPU and may leave earlier ones changed, the simulator validates every
 * GPU first and changes nothing on failure.
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
     * Applies {@code configName} of {@code config} to {@code gpus}.
     *
     * @param busy for each GPU index in use, a description of who uses it (e.g. {@code pod ns/name})
     */
    public static Outcome apply(
            MigPartedConfig config, String configName, List<GpuHardware> gpus, Map<Integer, String> busy) {
        if (gpus.isEmpty()) {
            return new Outcome(gpus, List.of(), "node has no GPUs");
        }
        GpuModel model = gpus.get(0).model();
        if (config.config(configName).isEmpty()) {
            return new Outcome(gpus, List.of(), "selected mig-config not present: " + configName);
        }
        PciDeviceId pciId = PciDeviceId.parse(model.pciDeviceId()).orElseThrow();
        Map<Integer, MigConfigSpec> desired = config.entriesPerGpu(configName, pciId, gpus.size());
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
}
