package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the model comes from and how it is served. */
public class ModelSpec {

    /** A PersistentVolumeClaim name (a DNS-1123 subdomain), as an RE2 pattern inside a CEL string. */
    private static final String DNS_1123_SUBDOMAIN =
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

    @Required
    @ValidationRule(
            value = "self.matches('^(file|pvc|https?)://')",
            message = "spec.model.uri: use file://, pvc://, http:// or https:// (no other scheme is supported)")
    @ValidationRule(
            value = "!self.matches('[\\\\x00-\\\\x20\"<>\\\\\\\\^`{|}\\\\x7f]|%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)')",
            message = "spec.model.uri: is not a URI: percent-encode spaces, control characters and \"<>\\^`{|} (a space"
                    + " is %20), and write % only as %XX")
    @ValidationRule(
            value = "!self.startsWith('file://') || self.matches('^file:///.')",
            message = "spec.model.uri: file URIs need an absolute path in the worker image, e.g. file:///models/m.pt")
    @ValidationRule(
            value = "!self.startsWith('pvc://') || self.matches('^pvc://" + DNS_1123_SUBDOMAIN + "(/|$)')"
                    + " && self.matches('^pvc://[^/]{1,253}(/|$)')",
            messageExpression =
                    "\"spec.model.uri: pvc URIs are pvc://<claim>/<path>; '\" + self.substring(6).split('/')[0]"
                            + " + \"' is not a valid claim name\"",
            message = "spec.model.uri: pvc URIs are pvc://<claim>/<path>; the claim is not a valid claim name (a"
                    + " DNS-1123 subdomain)")
    @ValidationRule(
            value = "!self.startsWith('pvc://') || self.matches('^pvc://[^/]*/.')",
            message = "spec.model.uri: pvc URIs are pvc://<claim>/<path>; the path inside the claim is missing")
    @ValidationRule(
            value = "!self.matches('^https?://') || self.matches('^https?://([^/?#@]*@)?[^/?#@:]')",
            messageExpression = "\"spec.model.uri: '\" + self + \"' has no host\"",
            message = "spec.model.uri: http(s) URIs need a host, e.g. https://models.example/m.onnx")
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

    @JsonPropertyDescription("Optional: the model's inputs and outputs, for a file that does not describe them"
            + " (TorchScript saved with plain torch.jit.save) or leaves dimensions open (ONNX). Without it such a"
            + " TorchScript model takes each request's inputs by position, unbatched, and names its outputs"
            + " OUTPUT__<i>; a <file>.signature.json beside the model file is read when this is absent.")
    private ModelSignature signature;

    public ModelSignature getSignature() {
        return signature;
    }

    public void setSignature(ModelSignature signature) {
        this.signature = signature;
    }

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
