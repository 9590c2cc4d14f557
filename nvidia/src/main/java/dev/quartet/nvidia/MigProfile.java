package dev.quartet.nvidia;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One GPU-instance profile of a GPU, as NVML lists it ({@code nvidia-smi mig -lgip}, {@code -lgipp}): keyed on the
 * GI profile id, since names drift between drivers ({@code 3g.39gb} vs {@code 3g.40gb}).
 *
 * @param giProfileId NVML's GPU-instance profile id
 * @param name the name mig-parted and the device plugin use, e.g. {@code 1g.6gb+me}
 * @param computeSlices compute slices (the {@code g} of the name)
 * @param memorySlices memory slices, which is also the size of a placement
 * @param multiprocessors streaming multiprocessors of one instance
 * @param maxCount most instances of this profile one GPU holds
 * @param starts legal placement starts, in memory slices
 * @param engines the instance's copy engines and media engines, where gpu-models.yaml gives them (null otherwise);
 *     NVIDIA's DRA driver publishes them as capacities and counters
 */
public record MigProfile(
        int giProfileId,
        String name,
        int computeSlices,
        int memorySlices,
        int multiprocessors,
        int maxCount,
        List<Integer> starts,
        MigEngines engines) {

    /** A profile without engine counts. */
    public MigProfile(
            int giProfileId,
            String name,
            int computeSlices,
            int memorySlices,
            int multiprocessors,
            int maxCount,
            List<Integer> starts) {
        this(giProfileId, name, computeSlices, memorySlices, multiprocessors, maxCount, starts, null);
    }

    /** Parsed names, by name: a table's names are few, and the planner asks for these facts in its loops. */
    private static final Map<String, MigProfileName> PARSED = new ConcurrentHashMap<>();

    public MigProfile {
        MigProfileName parsed = MigProfileName.parse(name);
        if (parsed.computeSlices() != parsed.gpuSlices()) {
            throw new IllegalArgumentException(
                    "profile " + name + " names a compute instance smaller than its GPU instance");
        }
        if (!parsed.toString().equals(name)) {
            throw new IllegalArgumentException("profile " + name + " is not written as NVIDIA writes it: " + parsed);
        }
        if (parsed.gpuSlices() != computeSlices) {
            throw new IllegalArgumentException("profile " + name + " has " + computeSlices
                    + " compute slices, its name says " + parsed.gpuSlices());
        }
        if (memorySlices < 1 || maxCount < 1 || multiprocessors < 0) {
            throw new IllegalArgumentException(
                    "profile " + name + ": memory slices and maximum count must be positive");
        }
        starts = List.copyOf(starts);
        if (starts.isEmpty()) {
            throw new IllegalArgumentException("profile " + name + " has no placement");
        }
    }

    /** This profile without its engine counts (what a source that does not report them, as the node agent, says). */
    public MigProfile withoutEngines() {
        return engines == null
                ? this
                : new MigProfile(giProfileId, name, computeSlices, memorySlices, multiprocessors, maxCount, starts);
    }

    /** The parsed name. */
    public MigProfileName parsedName() {
        return PARSED.computeIfAbsent(name, MigProfileName::parse);
    }

    /** Memory of one instance as the name gives it (GiB, as NVML rounds it: {@code 1g.6gb} is 6). */
    public int memoryGiB() {
        return parsedName().memoryGb();
    }

    /** Whether the profile carries media extensions ({@code +me}, {@code +me.all}); a GPU holds one such instance. */
    public boolean mediaExtensions() {
        return parsedName().hasMediaExtensions();
    }

    /** The extended resource the device plugin advertises under the {@code mixed} strategy. */
    public String resourceName() {
        return NvidiaLabels.resourceName(name);
    }

    public boolean canStartAt(int start) {
        return starts.contains(start);
    }

    @Override
    public String toString() {
        return name;
    }
}
