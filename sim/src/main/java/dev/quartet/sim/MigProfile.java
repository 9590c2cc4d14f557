package dev.quartet.sim;

import java.util.List;

/**
 * One MIG GPU-instance profile of a GPU model, as NVML reports it (nvidia-smi mig -lgip / -lgipp).
 *
 * @param name             profile name as mig-parted and the device plugin spell it, e.g. {@code 1g.6gb+me}
 * @param giProfileId      NVML GPU-instance profile id (stable across drivers, unlike the name)
 * @param computeSlices    compute slices (the "g" of the name)
 * @param memorySlices     memory slices, which is also the placement size
 * @param multiprocessors  streaming multiprocessors of one instance
 * @param maxCount         most instances of this profile one GPU can hold
 * @param starts           legal placement start slots
 * @param mediaExtensions  whether this is a {@code +me} profile (at most one per GPU)
 * @param memoryMiB        memory of one instance in MiB (nominal: the GB of the name times 1024)
 */
public record MigProfile(
        String name,
        int giProfileId,
        int computeSlices,
        int memorySlices,
        int multiprocessors,
        int maxCount,
        List<Integer> starts,
        boolean mediaExtensions,
        int memoryMiB) {

    public MigProfile {
        starts = List.copyOf(starts);
    }

    /** Extended resource the device plugin advertises under the mixed strategy ({@code +} written {@code .}). */
    public String resourceName() {
        return "nvidia.com/mig-" + labelName();
    }

    /** The profile as it appears in resource and label names ({@code 1g.6gb+me} becomes {@code 1g.6gb.me}). */
    public String labelName() {
        return name.replace('+', '.');
    }

    @Override
    public String toString() {
        return name;
    }
}
