package dev.quartet.inventory;

/** Node labels and resource names of NVIDIA's GPU Operator stack (GFD, device plugin, MIG Manager). */
public final class NvidiaLabels {
    public static final String GPU_PRODUCT = "nvidia.com/gpu.product";
    public static final String GPU_COUNT = "nvidia.com/gpu.count";
    public static final String MIG_CAPABLE = "nvidia.com/mig.capable";
    public static final String MIG_STRATEGY = "nvidia.com/mig.strategy";
    public static final String MIG_CONFIG = "nvidia.com/mig.config";
    public static final String MIG_CONFIG_STATE = "nvidia.com/mig.config.state";
    public static final String STATE_PENDING = "pending";
    public static final String STATE_REBOOTING = "rebooting";
    public static final String STATE_SUCCESS = "success";
    public static final String STATE_FAILED = "failed";
    /** Prefix of per-profile extended resources under the {@code mixed} strategy. */
    public static final String MIG_RESOURCE_PREFIX = "nvidia.com/mig-";

    public static final String RESOURCE_DOMAIN = "nvidia.com/";

    private NvidiaLabels() {}

    /** {@code nvidia.com/mig-1g.6gb.me} for profile {@code 1g.6gb+me}. */
    public static String resourceName(String profile) {
        return MIG_RESOURCE_PREFIX + profile.replace('+', '.');
    }

    /** The profile named by a {@code nvidia.com/mig-*} resource, or null for another resource. */
    public static String profileOfResource(String resource) {
        if (!resource.startsWith(MIG_RESOURCE_PREFIX)) {
            return null;
        }
        String p = resource.substring(MIG_RESOURCE_PREFIX.length());
        return p.endsWith(".me") ? p.substring(0, p.length() - 3) + "+me" : p;
    }
}
