package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a deployment's replicas are distributed over nodes and GPUs. */
public enum Placement {
    @JsonProperty("spread")
    SPREAD,
    @JsonProperty("pack")
    PACK
}
