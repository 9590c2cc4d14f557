package dev.quartet.worker;

import java.util.Optional;
import java.util.Set;

/**
 * Where inference runs: the DJL device ({@code cpu} or {@code gpu:0}; a process given a MIG slice
 * sees exactly one GPU) and the MIG device the pod was given ({@code NVIDIA_VISIBLE_DEVICES}).
 */
public record ServingDevice(String device, String migDevice) {

    /**
     * Exit status of a worker that refuses to serve as configured (sysexits' EX_CONFIG): restarting it does not help.
     * Quartet reports such a replica as failing at once, with the termination message the worker wrote.
     */
    public static final int REFUSED_EXIT_CODE = 78;

    /** {@code NVIDIA_VISIBLE_DEVICES} values that name no device. */
    private static final Set<String> NO_DEVICE = Set.of("none", "void", "all", "");

    /** The device DJL loaded the model on ({@code cpu} or {@code gpu:0}) and the MIG device from the environment. */
    public static ServingDevice of(ai.djl.Device device) {
        String name = device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
        return new ServingDevice(name, migDeviceFromEnvironment());
    }

    /** Reads the MIG device id from {@code NVIDIA_VISIBLE_DEVICES}; {@code none} when unset. */
    public static String migDeviceFromEnvironment() {
        String visible = System.getenv("NVIDIA_VISIBLE_DEVICES");
        return visible == null || visible.isBlank() ? "none" : visible.trim();
    }

    /** True when running on a GPU. */
    public boolean gpu() {
        return device.startsWith("gpu");
    }

    /**
     * Whether the pod was given a device: {@code NVIDIA_VISIBLE_DEVICES} names one (a {@code MIG-...} or
     * {@code GPU-...} UUID, or an index) rather than {@code none}, {@code void} or {@code all} (the last is what CUDA
     * base images set for every container, given a device or not).
     */
    public boolean deviceAssigned() {
        return !NO_DEVICE.contains(migDevice.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Why this worker must not serve, or empty: it was given a device its engine does not use (it runs on the CPU)
     * and CPU fallback is not allowed. The slice would be held without being used, so the replica says so instead
     * of reporting Ready.
     */
    public Optional<String> refusal(boolean allowCpuFallback) {
        if (gpu() || !deviceAssigned() || allowCpuFallback) {
            return Optional.empty();
        }
        return Optional.of("this replica was given " + (migDevice.startsWith("MIG-") ? "MIG device " : "GPU ")
                + migDevice + " but its engine runs on the CPU (a CPU-only worker image, missing CUDA libraries or a"
                + " failed GPU load: see the worker log); use a GPU worker image, or set"
                + " spec.worker.allowCpuFallback: true (QUARTET_ENGINE_ALLOW_CPU_FALLBACK) to serve on the CPU anyway");
    }
}
