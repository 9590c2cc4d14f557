package dev.quartet.agent.nvml;

import java.util.List;

/**
 * What NVML says about one GPU in one pass.
 *
 * @param index NVML's device index (the index mig-parted, GFD and {@code nvidia-smi} use)
 * @param uuid {@code GPU-...}
 * @param product NVML's device name, e.g. {@code NVIDIA A30}
 * @param memoryMiB the whole GPU's memory
 * @param migCapable whether NVML answers MIG mode at all
 * @param migEnabled MIG mode now
 * @param migPendingEnabled MIG mode after the next GPU reset
 * @param profiles the GPU-instance profile table NVML reports (empty when not MIG capable)
 * @param instances the GPU instances that exist (empty while MIG is off)
 */
public record GpuFacts(
        int index,
        String uuid,
        String product,
        long memoryMiB,
        boolean migCapable,
        boolean migEnabled,
        boolean migPendingEnabled,
        List<ProfileFacts> profiles,
        List<InstanceFacts> instances) {

    public GpuFacts {
        profiles = List.copyOf(profiles);
        instances = List.copyOf(instances);
    }
}
