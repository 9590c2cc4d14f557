package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** What the user asks for: a model, the slice each replica runs on, and how many replicas. */
public class InferenceDeploymentSpec {

    @Required
    @JsonPropertyDescription("The model every replica loads and serves.")
    private ModelSpec model;

    @Required
    @JsonPropertyDescription("The MIG slice each replica runs on: a profile, or the memory a replica needs.")
    private SliceSpec slice;

    @SpecReplicas
    @Min(0)
    @Default("1")
    @JsonPropertyDescription("Desired number of replicas, one per MIG slice. Also set through the scale subresource."
            + " With autoscaling, only the count to start from.")
    private Integer replicas = 1;

    @JsonPropertyDescription("Slice-aware autoscaling: Quartet sets the number of replicas from each replica's load,"
            + " within the slices the cluster can give. Absent: spec.replicas (kubectl scale, an HPA) decides.")
    private AutoscalingSpec autoscaling;

    @Min(-1000)
    @Max(1000)
    @Default("0")
    @JsonPropertyDescription("Higher-priority deployments get slices first when the cluster has too few.")
    private Integer priority = 0;

    @Default("spread")
    @JsonPropertyDescription(
            "spread (default): replicas on as many nodes and GPUs as possible; pack: on as few as possible.")
    private Placement placement = Placement.SPREAD;

    @Default("false")
    @JsonPropertyDescription(
            "May Quartet move running replicas (start a replacement, then evict) to repartition a GPU.")
    private Boolean movable = false;

    @Min(0)
    @Default("1")
    @JsonPropertyDescription(
            "Replicas that may be unavailable during voluntary disruptions (Quartet's moves, node drains), enforced by the PodDisruptionBudget Quartet creates; 0 forbids evictions.")
    private Integer maxUnavailable = 1;

    @JsonPropertyDescription("Dynamic batching settings passed to the worker.")
    private BatchingSpec batching = new BatchingSpec();

    @JsonPropertyDescription("The worker pod of each replica: image, resources, environment, scheduling.")
    private WorkerSpec worker = new WorkerSpec();

    public ModelSpec getModel() {
        return model;
    }

    public void setModel(ModelSpec model) {
        this.model = model;
    }

    public SliceSpec getSlice() {
        return slice;
    }

    public void setSlice(SliceSpec slice) {
        this.slice = slice;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public AutoscalingSpec getAutoscaling() {
        return autoscaling;
    }

    public void setAutoscaling(AutoscalingSpec autoscaling) {
        this.autoscaling = autoscaling;
    }

    public Integer getPriority() {
        return priority;
    }

    public void setPriority(Integer priority) {
        this.priority = priority;
    }

    public Placement getPlacement() {
        return placement;
    }

    public void setPlacement(Placement placement) {
        this.placement = placement;
    }

    public Boolean getMovable() {
        return movable;
    }

    public void setMovable(Boolean movable) {
        this.movable = movable;
    }

    public Integer getMaxUnavailable() {
        return maxUnavailable;
    }

    public void setMaxUnavailable(Integer maxUnavailable) {
        this.maxUnavailable = maxUnavailable;
    }

    public BatchingSpec getBatching() {
        return batching;
    }

    public void setBatching(BatchingSpec batching) {
        this.batching = batching;
    }

    public WorkerSpec getWorker() {
        return worker;
    }

    public void setWorker(WorkerSpec worker) {
        this.worker = worker;
    }
}
