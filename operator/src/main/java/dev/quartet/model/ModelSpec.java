package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Where the model comes from and how it is served. */
public class ModelSpec {

    @Required
    @Pattern("^(file|pvc|http|https)://.+$")
    @JsonPropertyDescription("file:///path/in/the/worker/image, pvc://<claim>/<path> or http(s)://host/path.")
    private String uri;

    @Required
    @JsonPropertyDescription("torchscript or onnx.")
    private ModelFormat format;

    @Pattern("^[a-f0-9]{64}$")
    @JsonPropertyDescription(
            "Optional lower-case hex SHA-256 of the model file; a replica refuses to start on a mismatch.")
    private String sha256;

    @Pattern("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
    @JsonPropertyDescription("The name the model is served under (/v2/models/<name>); defaults to the resource's name.")
    private String name;

    public String getUri() {
        return uri;
    }

    public void setUri(String uri) {
        this.uri = uri;
    }

    public ModelFormat getFormat() {
        return format;
    }

    public void setFormat(ModelFormat format) {
        this.format = format;
    }

    public String getSha256() {
        return sha256;
    }

    public void setSha256(String sha256) {
        this.sha256 = sha256;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }
}
