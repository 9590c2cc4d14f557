package dev.quartet.nvidia;

/** A GPU instance: a profile at a placement start (memory slices, as NVML's placements). */
public record GpuInstance(MigProfile profile, int start) {

    /** The first memory slice after this instance. */
    public int end() {
        return start + profile.memorySlices();
    }

    /** Whether this instance uses any of the {@code size} memory slices from {@code otherStart}. */
    public boolean overlaps(int otherStart, int size) {
        return start < otherStart + size && otherStart < end();
    }

    @Override
    public String toString() {
        return profile.name() + "@" + start;
    }
}
