package dev.quartet.agent.nvml;

import java.util.List;

/**
 * One GPU-instance profile as NVML reports it for a GPU.
 *
 * @param index NVML's profile index ({@code NVML_GPU_INSTANCE_PROFILE_1_SLICE} ...), which carries the attributes
 * @param id the driver's GI profile id (what GPU instances refer to)
 * @param name the name the device plugin and mig-parted use, derived as NVIDIA's go-nvlib derives it
 * @param computeSlices GPU (compute) slices
 * @param memorySlices memory slices of one instance (the size of its placements; 0 when NVML gave no placement)
 * @param maxCount most instances of this profile on one GPU
 * @param multiprocessors streaming multiprocessors of one instance
 * @param memoryMiB memory of one instance
 * @param starts legal placement starts, in memory slices (empty when NVML gave none, e.g. with MIG off)
 */
public record ProfileFacts(
        int index,
        int id,
        String name,
        int computeSlices,
        int memorySlices,
        int maxCount,
        int multiprocessors,
        long memoryMiB,
        List<Integer> starts) {

    public ProfileFacts {
        starts = List.copyOf(starts);
    }
}
