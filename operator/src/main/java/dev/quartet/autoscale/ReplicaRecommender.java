package dev.quartet.autoscale;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides how many replicas a deployment wants from its replicas' load; pure, so its rules are tested as a table.
 *
 * <ul>
 *   <li>Signal: the chosen load summed over the Ready replicas measured, each averaged over time since the last
 *       reading; the load asks for {@code ceil(total / target)} replicas. The total, not the average, because work
 *       queued at the Service does not move to new replicas until they are Ready: the count stays put while they
 *       start, instead of climbing on the old replicas' queues.
 *   <li>Tolerance: a load within {@link #TOLERANCE} (10 %, the HPA's default) of what the current count is meant to
 *       carry ({@code current x target}) keeps the count, so noise around the target does not add and remove a
 *       replica (and, on MIG, a slice and maybe a repartition) at every reading.
 *   <li>Up at once, to the recommendation within maxReplicas, at most doubling (or adding 4, whichever is more) per
 *       decision, as the HPA's default scale-up policy.
 *   <li>Down only to the highest recommendation of the last {@code scaleDownDelay} (the HPA's stabilization
 *       window): the load must have asked for fewer for that long. A decision without an earlier window (a new
 *       deployment, an operator restart) starts the window with the current count.
 *   <li>No reading (no Ready replica answered): the count stays, so a deployment whose replicas all fail does not
 *       shrink to its minimum on missing data.
 * </ul>
 */
public final class ReplicaRecommender {

    /** How far the load may be from what the current count carries, as a fraction, before the count changes. */
    static final double TOLERANCE = 0.1;

    /** At least this many replicas may be added in one decision. */
    static final int MIN_STEP_UP = 4;

    private ReplicaRecommender() {}

    /**
     * @param current  the replicas wanted so far (the last decision, or the starting count)
     * @param window   the previous decision's window; empty when there was none
     * @param loads    the Ready replicas' load
     */
    public static ScaleDecision decide(
            ScalingPolicy policy, int current, List<Recommendation> window, List<ReplicaLoad> loads, Instant now) {
        int from = policy.clamp(current);
        List<Recommendation> kept = new ArrayList<>();
        Instant since = now.minus(policy.scaleDownDelay());
        List<Recommendation> earlier = window.isEmpty() ? List.of(new Recommendation(now, from)) : window;
        for (Recommendation r : earlier) {
            if (r.at().isAfter(since)) {
                kept.add(r);
            }
        }
        if (loads.isEmpty()) {
            return new ScaleDecision(from, from, from, 0, 0, kept);
        }
        double total = loads.stream().mapToDouble(l -> l.of(policy.signal())).sum();
        // A whisker below the target is the target: averaged readings are rarely exact.
        int unbounded = (int) Math.ceil(total / policy.targetPerReplica() - 1e-6);
        double ratio = from == 0 ? Double.POSITIVE_INFINITY : total / (policy.targetPerReplica() * from);
        if (Math.abs(ratio - 1) <= TOLERANCE) {
            unbounded = from;
        }
        int recommended = policy.clamp(unbounded);
        kept.add(new Recommendation(now, recommended));
        int desired;
        if (recommended > from) {
            desired = Math.min(recommended, Math.max(2 * from, from + MIN_STEP_UP));
        } else {
            int highest = kept.stream().mapToInt(Recommendation::replicas).max().orElse(recommended);
            desired = Math.min(from, policy.clamp(highest));
        }
        return new ScaleDecision(desired, recommended, unbounded, total, loads.size(), kept);
    }
}
