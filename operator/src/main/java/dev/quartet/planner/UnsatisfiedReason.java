package dev.quartet.planner;

/** Why replicas of a demand are missing; each name is the condition reason an administrator sees. */
public enum UnsatisfiedReason {
    /** Every GPU that could hold the profile is full. */
    InsufficientSlices,
    /** No eligible node has a GPU of the requested model, or of a model offering the requested profile. */
    NoMatchingGpuModel,
    /** The memory asked for is more than the largest profile of every eligible GPU model. */
    ProfileTooLargeForModel,
    /** Enough memory slices are free, but on GPUs whose layout their replicas pin (MIG Manager wipes whole GPUs). */
    BlockedByRunningReplicas
}
