package dev.quartet.nvidia;

/**
 * What NVIDIA's DRA driver for GPUs ({@code kubernetes-sigs/dra-driver-nvidia-gpu}, release v0.4.1, feature gate
 * {@code DynamicMIG}) publishes and what claims select on: the driver and class names, the attributes of a dynamic
 * MIG device, its capacities and the counters it consumes from its GPU's counter set. Source paths are of that
 * release's {@code cmd/gpu-kubelet-plugin}; ../shared/docs/DRA-MIG-FACTS.md has the whole fact sheet.
 */
public final class NvidiaDra {

    private NvidiaDra() {}

    /** The driver name (main.go); also the attribute and capacity domain of its devices. */
    public static final String DRIVER = "gpu.nvidia.com";

    /** The DeviceClass of MIG devices the driver's chart installs (templates/deviceclass-mig.yaml). */
    public static final String MIG_DEVICE_CLASS = "mig.nvidia.com";

    /** The CEL selector of {@link #MIG_DEVICE_CLASS}. */
    public static final String MIG_DEVICE_CLASS_SELECTOR =
            "device.driver == '" + DRIVER + "' && device.attributes['" + DRIVER + "'].type == 'mig'";

    // Attributes of a dynamic MIG device (mig.go CommonAttributesMig). No uuid (the instance does not exist until a
    // claim is prepared), no parent index or minor, no placement.
    public static final String ATTR_TYPE = "type";
    public static final String TYPE_MIG = "mig";
    public static final String ATTR_PARENT_UUID = "parentUUID";
    public static final String ATTR_PROFILE = "profile";
    public static final String ATTR_PRODUCT_NAME = "productName";
    public static final String ATTR_BRAND = "brand";
    public static final String ATTR_ARCHITECTURE = "architecture";
    public static final String ATTR_CUDA_COMPUTE_CAPABILITY = "cudaComputeCapability";
    public static final String ATTR_DRIVER_VERSION = "driverVersion";
    public static final String ATTR_CUDA_DRIVER_VERSION = "cudaDriverVersion";
    /** Optional: the parent's addressing mode ({@code None} on an A30, {@code HMM} where HMM is on). */
    public static final String ATTR_ADDRESSING_MODE = "addressingMode";
    /** Optional, fully qualified: the parent's PCI bus id. */
    public static final String ATTR_PCI_BUS_ID = "resource.kubernetes.io/pciBusID";

    // Capacities of a dynamic MIG device (mig.go CommonCapacitiesMig); each is also a counter, in kebab case
    // (partitions.go capacitiesToCounters), beside one memory-slice-<i> counter per memory slice it covers.
    public static final String CAP_MULTIPROCESSORS = "multiprocessors";
    public static final String CAP_COPY_ENGINES = "copyEngines";
    public static final String CAP_DECODERS = "decoders";
    public static final String CAP_ENCODERS = "encoders";
    public static final String CAP_JPEG_ENGINES = "jpegEngines";
    public static final String CAP_OFA_ENGINES = "ofaEngines";
    /** Bytes, written as a binary-SI quantity ({@code 6Gi}). */
    public static final String CAP_MEMORY = "memory";

    /** The counter of a capacity: camelCase to kebab-case ({@code copyEngines} to {@code copy-engines}). */
    public static String counterOf(String capacity) {
        return capacity.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The counter of memory slice {@code i} of a GPU (partitions.go memsliceCounterName). */
    public static String memorySliceCounter(int i) {
        return "memory-slice-" + i;
    }

    /** The name of GPU {@code minor}'s counter set (partitions.go GetSharedCounterSetName). */
    public static String counterSetName(int gpuMinor) {
        return "gpu-" + gpuMinor + "-counter-set";
    }

    /**
     * A CEL selector for one device of this profile on this GPU: what a claim can pin (the parent and the profile;
     * never the placement start, which no attribute carries).
     */
    public static String selectorFor(String parentUuid, String profile) {
        return "device.attributes['" + DRIVER + "']." + ATTR_PARENT_UUID + " == '" + parentUuid + "' && "
                + "device.attributes['" + DRIVER + "']." + ATTR_PROFILE + " == '" + profile + "'";
    }

    /** A CEL selector for one device of this profile on any GPU (how users ask for a MIG profile today). */
    public static String selectorFor(String profile) {
        return "device.attributes['" + DRIVER + "']." + ATTR_PROFILE + " == '" + profile + "'";
    }
}
