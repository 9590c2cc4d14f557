package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Slice-aware autoscaling: Quartet reads each Ready replica's load and sets the number of replicas between
 * {@code minReplicas} and {@code maxReplicas}, within the slices the cluster can give. With it, {@code spec.replicas}
 * is only the starting count; the CRD's rule refuses a minimum above the maximum at {@code kubectl apply}.
 */
@ValidationRule(
        value = "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
        message = "spec.autoscaling: minReplicas must not exceed maxReplicas",
        fieldPath = ".minReplicas",
        reason = "FieldValueInvalid")
public class AutoscalingSpec {

    @Min(1)
    @Max(1000)
    @Default("1")
    @JsonPropertyDescription("Fewest replicas, also without load (at least 1: an idle deployment still answers).")
    private Integer minReplicas = 1;

    @Required
    @Min(1)
    @Max(1000)
    @JsonPropertyDescription("Most replicas Quartet asks slices for under load.")
    private Integer maxReplicas;

    @Required
    @JsonPropertyDescription(
            "The load each replica should carry: exactly one of queueDepthPerReplica and" + " inFlightPerReplica.")
    private AutoscalingTarget target;

    @Min(0)
    @Max(3600)
    @Default("300")
    @JsonPropertyDescription("How long the load must have asked for fewer replicas before Quartet removes any, in"
            + " seconds (scale-up is immediate).")
    private Integer scaleDownDelaySeconds = 300;

    public Integer getMinReplicas() {
        return minReplicas;
    }

    public void setMinReplicas(Integer minReplicas) {
        this.minReplicas = minReplicas;
    }

    public Integer getMaxReplicas() {
        return maxReplicas;
    }

    public void setMaxReplicas(Integer maxReplicas) {
        this.maxReplicas = maxReplicas;
    }

    public AutoscalingTarget getTarget() {
        return target;
    }

    public void setTarget(AutoscalingTarget target) {
        this.target = target;
    }

    public Integer getScaleDownDelaySeconds() {
        return scaleDownDelaySeconds;
    }

    public void setScaleDownDelaySeconds(Integer scaleDownDelaySeconds) {
        this.scaleDownDelaySeconds = scaleDownDelaySeconds;
    }
}
