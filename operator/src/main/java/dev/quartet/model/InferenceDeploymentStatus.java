package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What Quartet observed and did: conditions, replica counts, placements and the endpoint. */
public class InferenceDeploymentStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready, Progressing and Degraded, each with a CamelCase reason and a message.")
    private List<Condition> conditions = new ArrayList<>();

    @StatusReplicas
    @JsonPropertyDescription("Replica pods that exist and are not terminating.")
    private Integer replicas = 0;

    @JsonPropertyDescription("Replicas wanted now: spec.replicas, or with autoscaling its desiredReplicas.")
    private Integer desiredReplicas;

    @JsonPropertyDescription("Autoscaling's last reading and decision; absent without spec.autoscaling.")
    private AutoscalingStatus autoscaling;

    @JsonPropertyDescription("Replicas whose worker passes its readiness probe.")
    private Integer readyReplicas = 0;

    @JsonPropertyDescription("ready/desired, for kubectl get.")
    private String replicaSummary;

    @JsonPropertyDescription("Replicas the cluster has no slice for right now.")
    private Integer missingReplicas = 0;

    @JsonPropertyDescription("The MIG profile chosen for the replicas.")
    private String profile;

    @JsonPropertyDescription("Where each replica runs.")
    private List<ReplicaPlacement> placements = new ArrayList<>();

    @JsonPropertyDescription(
            "The Service's cluster DNS name with its ports: REST (the Open Inference Protocol over HTTP)"
                    + " and gRPC, such as resnet.default.svc.cluster.local:8080 (REST), :8081 (gRPC).")
    private String endpoint;

    @LabelSelector
    @JsonPropertyDescription("Label selector of the replica pods (scale subresource, HPA).")
    private String selector;

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getDesiredReplicas() {
        return desiredReplicas;
    }

    public void setDesiredReplicas(Integer desiredReplicas) {
        this.desiredReplicas = desiredReplicas;
    }

    public AutoscalingStatus getAutoscaling() {
        return autoscaling;
    }

    public void setAutoscaling(AutoscalingStatus autoscaling) {
        this.autoscaling = autoscaling;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public String getReplicaSummary() {
        return replicaSummary;
    }

    public void setReplicaSummary(String replicaSummary) {
        this.replicaSummary = replicaSummary;
    }

    public Integer getMissingReplicas() {
        return missingReplicas;
    }

    public void setMissingReplicas(Integer missingReplicas) {
        this.missingReplicas = missingReplicas;
    }

    public String getProfile() {
        return profile;
    }

    public void setProfile(String profile) {
        this.profile = profile;
    }

    public List<ReplicaPlacement> getPlacements() {
        return placements;
    }

    public void setPlacements(List<ReplicaPlacement> placements) {
        this.placements = placements;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InferenceDeploymentStatus s
                && Objects.equals(observedGeneration, s.observedGeneration)
                && Objects.equals(conditions, s.conditions)
                && Objects.equals(replicas, s.replicas)
                && Objects.equals(readyReplicas, s.readyReplicas)
                && Objects.equals(desiredReplicas, s.desiredReplicas)
                && Objects.equals(autoscaling, s.autoscaling)
                && Objects.equals(replicaSummary, s.replicaSummary)
                && Objects.equals(missingReplicas, s.missingReplicas)
                && Objects.equals(profile, s.profile)
                && Objects.equals(placements, s.placements)
                && Objects.equals(endpoint, s.endpoint)
                && Objects.equals(selector, s.selector);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, replicas, readyReplicas, profile, endpoint, selector);
    }
}
