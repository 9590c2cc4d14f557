package dev.quartet.worker;

/**
 * Where inference runs: the DJL device ({@code cpu} or {@code gpu:0}; a process given a MIG slice
 * sees exactly one GPU) and the MIG device the pod was given ({@code NVIDIA_VISIBLE_DEVICES}).
 */
public record ServingDevice(String device, String migDevice) {

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
}
