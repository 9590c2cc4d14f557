package dev.quartet.sim;

/** A GPU instance of some profile placed at a start slot (memory-slice units, as NVML's placements). */
public record MigInstance(MigProfile profile, int start) {

    /** First slot after this instance. */
    public int end() {
        return start + profile.memorySlices();
    }

    public boolean overlaps(int otherStart, int otherSize) {
        return start < otherStart + otherSize && otherStart < end();
    }

    @Override
    public String toString() {
        return profile.name() + "@" + start;
    }
}
