package dev.quartet.agent.nvml;

import java.util.List;

/**
 * Runs the agent's NVML reader once and prints what it found, one fact a line, in the shape hack/device-check.sh
 * extracts from {@code nvidia-smi -L} and {@code nvidia-smi mig -lgi} ({@code gpu}, {@code mig}, {@code gi} lines),
 * then the profile table ({@code profile} lines, for reading only). Argument: the NVML library (default
 * {@code libnvidia-ml.so.1}).
 */
public final class NvmlReport {

    private NvmlReport() {}

    public static void main(String[] args) {
        String library = args.length > 0 ? args[0] : "libnvidia-ml.so.1";
        try (NvmlReader nvml = NvmlReader.open(library)) {
            List<GpuFacts> gpus = nvml.read();
            for (GpuFacts gpu : gpus) {
                System.out.println("gpu " + gpu.index() + " " + gpu.uuid());
            }
            for (GpuFacts gpu : gpus) {
                for (InstanceFacts in : gpu.instances()) {
                    if (in.uuid() != null) {
                        System.out.println("mig " + gpu.index() + " " + in.profile() + " " + in.uuid());
                    }
                }
            }
            for (GpuFacts gpu : gpus) {
                for (InstanceFacts in : gpu.instances()) {
                    System.out.println("gi " + gpu.index() + " " + in.profileId() + " " + in.giId() + " " + in.start()
                            + ":" + in.size());
                }
            }
            for (GpuFacts gpu : gpus) {
                System.out.println("# gpu " + gpu.index() + " " + gpu.product() + ", " + gpu.memoryMiB()
                        + " MiB, MIG " + (gpu.migEnabled() ? "on" : "off") + " (pending "
                        + (gpu.migPendingEnabled() ? "on" : "off") + ")");
                for (ProfileFacts p : gpu.profiles()) {
                    System.out.println("# profile " + gpu.index() + " " + p.name() + " index=" + p.index() + " id="
                            + p.id() + " slices=" + p.computeSlices() + " memorySlices=" + p.memorySlices()
                            + " max=" + p.maxCount() + " memoryMiB=" + p.memoryMiB() + " starts=" + p.starts());
                }
            }
        }
    }
}
