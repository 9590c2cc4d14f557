package dev.quartet.nvidia;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Node labels and extended resources of NVIDIA's GPU Operator stack: GPU Feature Discovery, the device plugin with the
 * {@code mixed} MIG strategy, and MIG Manager (NVIDIA/mig-parted pkg/mig/reconfigure/reconfigure.go for its labels).
 */
public final class NvidiaLabels {

    // GPU Feature Discovery
    public static final String GPU_PRESENT = "nvidia.com/gpu.present";
    public static final String GPU_PRODUCT = "nvidia.com/gpu.product";
    public static final String GPU_COUNT = "nvidia.com/gpu.count";
    /** MiB. */
    public static final String GPU_MEMORY = "nvidia.com/gpu.memory";

    public static final String GPU_FAMILY = "nvidia.com/gpu.family";
    public static final String GPU_COMPUTE_MAJOR = "nvidia.com/gpu.compute.major";
    public static final String GPU_COMPUTE_MINOR = "nvidia.com/gpu.compute.minor";
    public static final String MIG_CAPABLE = "nvidia.com/mig.capable";
    public static final String MIG_STRATEGY = "nvidia.com/mig.strategy";
    /** The only strategy with which a GPU can hold instances of several profiles. */
    public static final String MIG_STRATEGY_MIXED = "mixed";

    // MIG Manager
    /** Selects a named config of the mig-parted file for the node. */
    public static final String MIG_CONFIG = "nvidia.com/mig.config";
    /** MIG Manager's progress: {@code pending}, {@code rebooting}, {@code success}, {@code failed}. */
    public static final String MIG_CONFIG_STATE = "nvidia.com/mig.config.state";

    public static final String STATE_PENDING = "pending";
    public static final String STATE_REBOOTING = "rebooting";
    public static final String STATE_SUCCESS = "success";
    public static final String STATE_FAILED = "failed";

    /** Prefix of the labels that deploy the GPU Operator's operands on a node ({@code nvidia.com/gpu.deploy.<x>}). */
    public static final String DEPLOY_PREFIX = "nvidia.com/gpu.deploy.";
    /** The operands MIG Manager pauses on the node while it reconfigures it. */
    public static final List<String> OPERANDS_PAUSED_FOR_MIG_CHANGE = List.of(
            DEPLOY_PREFIX + "device-plugin",
            DEPLOY_PREFIX + "gpu-feature-discovery",
            DEPLOY_PREFIX + "dcgm-exporter",
            DEPLOY_PREFIX + "dcgm",
            DEPLOY_PREFIX + "nvsm");
    /** Pods of other daemon sets that select this label with {@code true} are paused too (newer MIG Managers). */
    public static final String DEPLOY_CLIENT = DEPLOY_PREFIX + "client";
    /** The value MIG Manager gives a deploy label while it reconfigures (then {@code true} again). */
    public static final String PAUSED_FOR_MIG_CHANGE = "paused-for-mig-change";

    // Device plugin
    public static final String RESOURCE_DOMAIN = "nvidia.com/";
    /** A whole GPU (MIG off) under the {@code mixed} strategy. */
    public static final String FULL_GPU_RESOURCE = "nvidia.com/gpu";
    /** Prefix of the per-profile extended resources under the {@code mixed} strategy. */
    public static final String MIG_RESOURCE_PREFIX = "nvidia.com/mig-";

    private static final Pattern PROFILE_IN_RESOURCE = Pattern.compile("((?:\\d+c\\.)?\\d+g\\.\\d+gb)\\.(.+)");

    private NvidiaLabels() {}

    /** A profile as resource and label names spell it: {@code +} written {@code .} ({@code 1g.6gb.me}). */
    public static String labelName(String profile) {
        return profile.replace('+', '.');
    }

    /** {@code nvidia.com/mig-1g.6gb.me} for profile {@code 1g.6gb+me}. */
    public static String resourceName(String profile) {
        return MIG_RESOURCE_PREFIX + labelName(profile);
    }

    /**
     * The profile a {@code nvidia.com/mig-*} resource stands for ({@code 1g.6gb.me} is {@code 1g.6gb+me},
     * {@code 1g.24gb.me.all} is {@code 1g.24gb+me.all}), or null for another resource.
     */
    public static String profileOfResource(String resource) {
        if (!resource.startsWith(MIG_RESOURCE_PREFIX)) {
            return null;
        }
        String p = resource.substring(MIG_RESOURCE_PREFIX.length());
        Matcher m = PROFILE_IN_RESOURCE.matcher(p);
        return m.matches() ? m.group(1) + "+" + m.group(2) : p;
    }

    /** GFD's per-profile node label {@code nvidia.com/mig-<profile>.<attribute>}, e.g. {@code .count}. */
    public static String migProfileLabel(String profile, String attribute) {
        return MIG_RESOURCE_PREFIX + labelName(profile) + "." + attribute;
    }
}
