package dev.quartet.model;

/**
 * How many replicas a deployment wants now, in one place for the planner, the status and the rollout: {@code
 * spec.replicas}, or with {@code spec.autoscaling} the autoscaler's {@code status.autoscaling.desiredReplicas}
 * (before its first decision, {@code spec.replicas}), kept within minReplicas and maxReplicas.
 */
public final class ReplicaTarget {

    private ReplicaTarget() {}

    public static int of(InferenceDeployment d) {
        InferenceDeploymentSpec spec = d.getSpec();
        if (spec == null) {
            return 0;
        }
        int replicas = spec.getReplicas() == null ? 0 : spec.getReplicas();
        AutoscalingSpec autoscaling = spec.getAutoscaling();
        if (autoscaling == null) {
            return replicas;
        }
        AutoscalingStatus decided = d.getStatus() == null ? null : d.getStatus().getAutoscaling();
        int wanted = decided != null && decided.getDesiredReplicas() != null ? decided.getDesiredReplicas() : replicas;
        return clamp(autoscaling, wanted);
    }

    /** {@code replicas} within the autoscaling bounds (a missing minimum is 1, a missing maximum no bound). */
    public static int clamp(AutoscalingSpec autoscaling, int replicas) {
        int min = autoscaling.getMinReplicas() == null ? 1 : autoscaling.getMinReplicas();
        int max = autoscaling.getMaxReplicas() == null ? Integer.MAX_VALUE : autoscaling.getMaxReplicas();
        return Math.max(min, Math.min(max, replicas));
    }
}
