package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** GPU models a deployment may be pinned to. */
public enum GpuModelName {
    @JsonProperty("A30")
    A30,
    @JsonProperty("A100-40GB")
    A100_40GB,
    @JsonProperty("A100-80GB")
    A100_80GB,
    @JsonProperty("H100-80GB")
    H100_80GB;

    /** The name as written in YAML, e.g. {@code A100-40GB}. */
    public String value() {
        return name().replace('_', '-');
    }
}
