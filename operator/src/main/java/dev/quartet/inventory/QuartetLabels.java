package dev.quartet.inventory;

/** Labels and annotations Quartet owns on its pods and on nodes. */
public final class QuartetLabels {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "quartet";
    public static final String APP_NAME = "app.kubernetes.io/name";
    public static final String APP_NAME_VALUE = "quartet-worker";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    /** Name of the owning InferenceDeployment, on every replica pod. */
    public static final String DEPLOYMENT = "inference.quartet.dev/deployment";
    /** Hash of the pod template a replica was created from (rollouts replace other hashes). */
    public static final String TEMPLATE_HASH = "inference.quartet.dev/template-hash";
    /** MIG profile of the slice a replica asks for. */
    public static final String PROFILE = "inference.quartet.dev/profile";
    /** Annotation: the node a replica was planned on (an annotation: node names may be longer than a label value). */
    public static final String PLANNED_NODE = "inference.quartet.dev/planned-node";
    /** On a replica's ResourceClaim (DRA nodes): the name of the replica pod it was made for. */
    public static final String REPLICA = "inference.quartet.dev/replica";
    /**
     * Annotation of a replica pod on a DRA node: the MIG device ({@code gpu-0-mig-1g6gb-14-3}) its claim is to be
     * allocated, as planned when the pod was created.
     */
    public static final String PLANNED_DEVICE = "inference.quartet.dev/planned-device";
    /**
     * The scheduling gate a replica pod on a DRA node is created with: the scheduler leaves it alone until Quartet
     * has created its claim and written the planned allocation into it, so first fit never picks another device.
     */
    public static final String CLAIM_GATE = "inference.quartet.dev/claim-allocation";
    /** JSON {gpu, profile, start, uuid}: the MIG device a replica actually got (docs/contracts.md). */
    public static final String MIG_DEVICE = dev.quartet.nvidia.NodeAgentReport.MIG_DEVICE;

    /** Node annotation: the mig config Quartet last set on the node (the node is adopted). */
    public static final String NODE_CONFIG = "inference.quartet.dev/mig-config";
    /** Node annotation: the last config that reached success, target of rollbacks. */
    public static final String NODE_LAST_GOOD_CONFIG = "inference.quartet.dev/last-good-mig-config";
    /** Node annotation: when Quartet set the current config (RFC 3339), for the watchdog. */
    public static final String NODE_CONFIG_REQUESTED_AT = "inference.quartet.dev/mig-config-requested-at";
    /**
     * Node annotation {@code <config>@<RFC 3339 time>}: the config Quartet wrote into the ConfigMap for the node and
     * when; it is selected once MIG Manager's mounted copy of the ConfigMap has had time to show it.
     */
    public static final String NODE_CONFIG_STAGED = "inference.quartet.dev/mig-config-staged";
    /**
     * Node annotation: JSON object of the Quartet configs the node selects and may roll back to, name to device
     * groups, so that they can be written back into a rewritten ConfigMap after an operator restart too.
     */
    public static final String NODE_CONFIG_CONTENT = "inference.quartet.dev/mig-config-content";
    /** Node annotation: JSON of the last failed attempt {config, reason, at, retryAfter}. */
    public static final String NODE_LAST_FAILURE = "inference.quartet.dev/mig-last-failure";
    /**
     * Node annotation: the layout of the config Quartet selected is still to be checked against what the node shows
     * once MIG Manager reports success: {@code pending}, or the RFC 3339 time the check started (the success
     * Quartet first saw without the layout), from which {@code quartet.mig-manager.layout-verify-timeout} counts.
     */
    public static final String NODE_LAYOUT_CHECK = "inference.quartet.dev/mig-layout-check";

    private QuartetLabels() {}
}
