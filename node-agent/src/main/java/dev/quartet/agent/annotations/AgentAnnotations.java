package dev.quartet.agent.annotations;

/** The annotations the node agent writes (docs/contracts.md). */
public final class AgentAnnotations {

    /** On a pod holding MIG devices: which one(s), as a JSON object (an array of them for several). */
    public static final String MIG_DEVICE = "quartet.dev/mig-device";

    /** On the node: the MIG layout of every GPU, from NVML. */
    public static final String MIG_LAYOUT = "quartet.dev/mig-layout";

    /** On the node: each GPU product's MIG profile table, from NVML. */
    public static final String MIG_PROFILES = "quartet.dev/mig-profiles";

    private AgentAnnotations() {}
}
