package dev.quartet.status;

/** CamelCase condition reasons; each tells an administrator what is going on and what to do. */
public final class Reasons {
    public static final String ALL_REPLICAS_READY = "AllReplicasReady";
    public static final String SCALED_TO_ZERO = "ScaledToZero";
    public static final String REPLICAS_STARTING = "ReplicasStarting";
    public static final String SCALING_DOWN = "ScalingDown";
    public static final String ROLLING_OUT = "RollingOut";
    public static final String ROLLOUT_BLOCKED = "RolloutBlocked";
    public static final String REPARTITIONING = "Repartitioning";
    public static final String WAITING_FOR_REPARTITION = "WaitingForRepartition";
    public static final String DRAINING = "Draining";
    public static final String STABLE = "Stable";
    public static final String AS_EXPECTED = "AsExpected";
    public static final String INVALID_SPEC = "InvalidSpec";
    public static final String INSUFFICIENT_SLICES = "InsufficientSlices";
    public static final String NO_MATCHING_GPU_MODEL = "NoMatchingGpuModel";
    public static final String PROFILE_TOO_LARGE_FOR_MODEL = "ProfileTooLargeForModel";
    public static final String BLOCKED_BY_RUNNING_REPLICAS = "BlockedByRunningReplicas";
    public static final String MIG_MANAGER_FAILED = "MigManagerFailed";
    public static final String MIG_MANAGER_TIMEOUT = "MigManagerTimeout";
    public static final String MIG_LAYOUT_MISMATCH = "MigLayoutMismatch";
    public static final String REPARTITION_STEP_FAILED = "RepartitionStepFailed";
    public static final String DRAIN_BLOCKED_BY_DISRUPTION_BUDGET = "DrainBlockedByDisruptionBudget";
    public static final String REPLICAS_FAILING = "ReplicasFailing";
    public static final String NAME_CONFLICT = "NameConflict";
    public static final String RECONCILE_FAILED = "ReconcileFailed";

    private Reasons() {}
}
