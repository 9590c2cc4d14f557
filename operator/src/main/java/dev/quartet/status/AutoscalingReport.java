package dev.quartet.status;

import dev.quartet.model.AutoscalingStatus;
import java.util.Optional;

/**
 * What autoscaling decided in one reconcile, for the status: the decision ({@code grantedReplicas} is filled in by
 * the status builder from the plan), its bounds, the signal in words and its target per replica, whether the load
 * asks for more than the maximum, and an HorizontalPodAutoscaler that also targets the deployment.
 */
public record AutoscalingReport(
        AutoscalingStatus decision,
        int minReplicas,
        int maxReplicas,
        String signal,
        int targetPerReplica,
        boolean limitedByMax,
        Optional<String> conflictingHpa) {

    public int desired() {
        return decision.getDesiredReplicas();
    }

    /** The load as messages say it: "queue depth 12.40 over 3 Ready replicas, target 4 per replica". */
    public String load() {
        Integer measured = decision.getMeasuredReplicas();
        String target = "target " + targetPerReplica + " per replica";
        if (measured == null || measured == 0) {
            return "no Ready replica's " + signal + " read yet, " + target;
        }
        return signal + " " + decision.getCurrentTotal() + " over " + measured + " Ready replica"
                + (measured == 1 ? "" : "s") + ", " + target;
    }
}
