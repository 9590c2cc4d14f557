package dev.quartet.status;

/** The three condition types every InferenceDeployment reports. */
public final class ConditionTypes {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    private ConditionTypes() {}
}
