package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The serialised model formats the worker loads. */
public enum ModelFormat {
    @JsonProperty("torchscript")
    TORCHSCRIPT,
    @JsonProperty("onnx")
    ONNX;

    /** The value written in YAML and passed to the worker. */
    public String value() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
