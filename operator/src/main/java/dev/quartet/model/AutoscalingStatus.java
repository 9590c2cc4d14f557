package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** What autoscaling last measured and decided, and what the cluster's slices granted. */
public class AutoscalingStatus {

    @JsonPropertyDescription("The signal read: queueDepthPerReplica or inFlightPerReplica.")
    private String metric;

    @JsonPropertyDescription("The signal summed over the replicas measured (averaged over time), as a decimal.")
    private String currentTotal;

    @JsonPropertyDescription("Ready replicas whose load was read.")
    private Integer measuredReplicas;

    @JsonPropertyDescription("Replicas the load asks for now, within minReplicas and maxReplicas, before smoothing.")
    private Integer recommendedReplicas;

    @JsonPropertyDescription("Replicas Quartet plans for: the recommendation after the scale-down delay and the"
            + " step limit. Starts from spec.replicas.")
    private Integer desiredReplicas;

    @JsonPropertyDescription("Of the desired replicas, those the planner has a slice for.")
    private Integer grantedReplicas;

    @JsonPropertyDescription("When desiredReplicas last changed.")
    private String lastScaleTime;

    public String getMetric() {
        return metric;
    }

    public void setMetric(String metric) {
        this.metric = metric;
    }

    public String getCurrentTotal() {
        return currentTotal;
    }

    public void setCurrentTotal(String currentTotal) {
        this.currentTotal = currentTotal;
    }

    public Integer getMeasuredReplicas() {
        return measuredReplicas;
    }

    public void setMeasuredReplicas(Integer measuredReplicas) {
        this.measuredReplicas = measuredReplicas;
    }

    public Integer getRecommendedReplicas() {
        return recommendedReplicas;
    }

    public void setRecommendedReplicas(Integer recommendedReplicas) {
        this.recommendedReplicas = recommendedReplicas;
    }

    public Integer getDesiredReplicas() {
        return desiredReplicas;
    }

    public void setDesiredReplicas(Integer desiredReplicas) {
        this.desiredReplicas = desiredReplicas;
    }

    public Integer getGrantedReplicas() {
        return grantedReplicas;
    }

    public void setGrantedReplicas(Integer grantedReplicas) {
        this.grantedReplicas = grantedReplicas;
    }

    public String getLastScaleTime() {
        return lastScaleTime;
    }

    public void setLastScaleTime(String lastScaleTime) {
        this.lastScaleTime = lastScaleTime;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AutoscalingStatus s
                && Objects.equals(metric, s.metric)
                && Objects.equals(currentTotal, s.currentTotal)
                && Objects.equals(measuredReplicas, s.measuredReplicas)
                && Objects.equals(recommendedReplicas, s.recommendedReplicas)
                && Objects.equals(desiredReplicas, s.desiredReplicas)
                && Objects.equals(grantedReplicas, s.grantedReplicas)
                && Objects.equals(lastScaleTime, s.lastScaleTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metric, currentTotal, desiredReplicas, grantedReplicas);
    }
}
