package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** The load per replica autoscaling aims at, averaged over the time between two readings: one of two signals. */
@ValidationRule(
        value = "has(self.queueDepthPerReplica) != has(self.inFlightPerReplica)",
        message = "spec.autoscaling.target: set exactly one of queueDepthPerReplica and inFlightPerReplica")
public class AutoscalingTarget {

    @Min(1)
    @Max(100000)
    @JsonPropertyDescription("Requests waiting for the engine per replica (the worker's quartet_worker_queue_depth,"
            + " averaged over time): the signal when requests queue behind batches.")
    private Integer queueDepthPerReplica;

    @Min(1)
    @Max(100000)
    @JsonPropertyDescription("Requests received and not yet answered per replica, queued or running (the worker's"
            + " quartet_worker_requests_in_flight, averaged over time): the signal when latency matters more than"
            + " queueing.")
    private Integer inFlightPerReplica;

    public Integer getQueueDepthPerReplica() {
        return queueDepthPerReplica;
    }

    public void setQueueDepthPerReplica(Integer queueDepthPerReplica) {
        this.queueDepthPerReplica = queueDepthPerReplica;
    }

    public Integer getInFlightPerReplica() {
        return inFlightPerReplica;
    }

    public void setInFlightPerReplica(Integer inFlightPerReplica) {
        this.inFlightPerReplica = inFlightPerReplica;
    }
}
