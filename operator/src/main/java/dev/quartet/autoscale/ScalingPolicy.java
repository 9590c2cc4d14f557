package dev.quartet.autoscale;

import java.time.Duration;

/** One deployment's autoscaling settings, as the recommender uses them. */
public record ScalingPolicy(
        int minReplicas, int maxReplicas, Signal signal, double targetPerReplica, Duration scaleDownDelay) {

    public ScalingPolicy {
        if (minReplicas < 1 || maxReplicas < minReplicas || targetPerReplica <= 0) {
            throw new IllegalArgumentException("need 1 <= min <= max and a positive target: " + minReplicas + ", "
                    + maxReplicas + ", " + targetPerReplica);
        }
    }

    public int clamp(int replicas) {
        return Math.max(minReplicas, Math.min(maxReplicas, replicas));
    }
}
