package dev.quartet.sim;

import java.util.List;

/**
 * One GPU of a simulated node as a test sees it: MIG mode and each MIG device with the pod holding it.
 *
 * @param pod {@code namespace/name} of the pod holding the whole GPU (MIG mode off), or null
 */
public record GpuSnapshot(int index, String uuid, boolean migEnabled, List<Slice> slices, String pod) {

    public GpuSnapshot {
        slices = List.copyOf(slices);
    }

    /**
     * One MIG device.
     *
     * @param pod {@code namespace/name} of the pod it is assigned to, or null when free
     */
    public record Slice(String profile, int start, String uuid, String pod) {}

    /** The layout as text, e.g. {@code 2g.12gb@0 1g.6gb@2 1g.6gb@3}. */
    public String describe() {
        if (!migEnabled) {
            return "MIG disabled";
        }
        return slices.isEmpty()
                ? "MIG enabled, no instances"
                : String.join(
                        " ",
                        slices.stream().map(s -> s.profile() + "@" + s.start()).toList());
    }
}
