package dev.quartet.planner;

import java.util.List;

/**
 * One GPU-instance profile of a GPU model: GI profile id, name, memory and compute slices, legal start
 * slots (in memory slices), maximum instances per GPU, and whether it carries the media extensions.
 */
public record MigProfile(
        int giProfileId,
        String name,
        int memorySlices,
        int computeSlices,
        List<Integer> starts,
        int maxCount,
        boolean mediaExtension,
        int memoryGiB) {

    public MigProfile {
        starts = List.copyOf(starts);
    }

    /** The extended resource the device plugin advertises under the mixed strategy ({@code +} written {@code .}). */
    public String resourceName() {
        return "nvidia.com/mig-" + name.replace('+', '.');
    }

    public boolean canStartAt(int start) {
        return starts.contains(start);
    }
}
