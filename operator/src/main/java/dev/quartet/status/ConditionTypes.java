package dev.quartet.status;

/** The condition types of an InferenceDeployment: three always, ScalingLimited with spec.autoscaling. */
public final class ConditionTypes {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    /** Only with spec.autoscaling: whether the replicas the load asks for are limited (by slices, by maxReplicas). */
    public static final String SCALING_LIMITED = "ScalingLimited";

    private ConditionTypes() {}
}
