package dev.quartet.autoscale;

import java.util.List;

/**
 * One autoscaling decision.
 *
 * @param desired     the replicas to plan for: {@code recommended} after the step limit (up) or the scale-down window
 * @param recommended what the load asks for now, within the policy's bounds
 * @param unbounded   what the load asks for now, before the bounds ({@code ceil(total / target)})
 * @param total       the signal summed over the measured replicas
 * @param measured    how many replicas were measured (0: no reading, the count is kept)
 * @param window      the recommendations of the scale-down window, this one included, to give the next decision
 */
public record ScaleDecision(
        int desired, int recommended, int unbounded, double total, int measured, List<Recommendation> window) {

    public ScaleDecision {
        window = List.copyOf(window);
    }

    /** The load asks for more than maxReplicas. */
    public boolean limitedByMax(ScalingPolicy policy) {
        return unbounded > policy.maxReplicas();
    }
}
