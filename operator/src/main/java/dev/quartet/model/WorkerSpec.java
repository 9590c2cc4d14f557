package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The worker pod each replica runs: image, resources and scheduling constraints. */
public class WorkerSpec {

    @ValidationRule(
            value = "self.matches('\\\\S')",
            message = "spec.worker.image: must not be empty (omit it to use the operator's default)")
    @JsonPropertyDescription("Worker image; defaults to the operator's configured worker image.")
    private String image;

    @ValidationRule(
            value = "[has(self.limits) ? self.limits : {}, has(self.requests) ? self.requests : {}]"
                    + ".all(m, !m.exists(k, k.startsWith('nvidia.com/')))",
            message = "spec.worker.resources: nvidia.com/* resources are added by Quartet from spec.slice")
    @JsonPropertyDescription(
            "CPU and memory requests/limits of the worker container (the MIG slice is added by Quartet).")
    private ResourceRequirements resources;

    // One rule per variable, so that each message names it (a message built from the list costs the API server's
    // estimate too much); the maximum size keeps the rules' estimated cost within the server's budget.
    // WorkerEnvRulesTest fails when these differ from what the operator sets (ReplicaPodFactory.DERIVED_ENV).
    @Size(max = 1024)
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_MODEL_URI')",
            message =
                    "spec.worker.env: QUARTET_MODEL_URI is set by Quartet from spec.model.uri; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_MODEL_NAME')",
            message =
                    "spec.worker.env: QUARTET_MODEL_NAME is set by Quartet from spec.model.name; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_MODEL_FORMAT')",
            message =
                    "spec.worker.env: QUARTET_MODEL_FORMAT is set by Quartet from spec.model.format; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_MODEL_SHA256')",
            message =
                    "spec.worker.env: QUARTET_MODEL_SHA256 is set by Quartet from spec.model.sha256; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_BATCHING_MAX_BATCH_SIZE')",
            message =
                    "spec.worker.env: QUARTET_BATCHING_MAX_BATCH_SIZE is set by Quartet from spec.batching.maxBatchSize; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS')",
            message =
                    "spec.worker.env: QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS is set by Quartet from spec.batching.maxBatchDelayMillis; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_BATCHING_QUEUE_LIMIT')",
            message =
                    "spec.worker.env: QUARTET_BATCHING_QUEUE_LIMIT is set by Quartet from spec.batching.queueLimit; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_MODEL_SIGNATURE')",
            message =
                    "spec.worker.env: QUARTET_MODEL_SIGNATURE is set by Quartet from spec.model.signature; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_ENGINE_ALLOW_CPU_FALLBACK')",
            message =
                    "spec.worker.env: QUARTET_ENGINE_ALLOW_CPU_FALLBACK is set by Quartet from spec.worker.allowCpuFallback; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_REPLICA_DEPLOYMENT')",
            message =
                    "spec.worker.env: QUARTET_REPLICA_DEPLOYMENT is set by Quartet from metadata.name; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARTET_REPLICA_MIG_PROFILE')",
            message =
                    "spec.worker.env: QUARTET_REPLICA_MIG_PROFILE is set by Quartet from spec.slice; set that field instead")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARKUS_GRPC_SERVER_PORT')",
            message =
                    "spec.worker.env: QUARKUS_GRPC_SERVER_PORT is set by Quartet (the Service's grpc port targets it)")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'QUARKUS_HTTP_PORT')",
            message =
                    "spec.worker.env: QUARKUS_HTTP_PORT is set by Quartet and the device plugin (the probes and the Service use"
                            + " the worker port; the slice is the pod's own)")
    @ValidationRule(
            value = "!self.exists(e, e.name == 'NVIDIA_VISIBLE_DEVICES')",
            message =
                    "spec.worker.env: NVIDIA_VISIBLE_DEVICES is set by Quartet and the device plugin (the probes and the Service use"
                            + " the worker port; the slice is the pod's own)")
    @JsonPropertyDescription("Extra environment variables of the worker container, such as its tuning "
            + "(QUARTET_BATCHING_WORKERS, QUARTET_ENGINE_THREADS_PER_CALL). Refused: what Quartet sets from "
            + "spec.model and spec.batching (QUARTET_MODEL_URI, _NAME, _FORMAT, _SHA256, "
            + "QUARTET_BATCHING_MAX_BATCH_SIZE, _MAX_BATCH_DELAY_MILLIS, _QUEUE_LIMIT), what it sets from"
            + " spec.model.signature, spec.worker.allowCpuFallback, the name and the slice"
            + " (QUARTET_MODEL_SIGNATURE, QUARTET_ENGINE_ALLOW_CPU_FALLBACK, QUARTET_REPLICA_DEPLOYMENT,"
            + " QUARTET_REPLICA_MIG_PROFILE), QUARKUS_HTTP_PORT, QUARKUS_GRPC_SERVER_PORT and NVIDIA_VISIBLE_DEVICES.")
    private List<EnvVar> env = new ArrayList<>();

    @Default("false")
    @JsonPropertyDescription("Whether a replica may serve on the CPU when its engine cannot use the MIG slice it was"
            + " given (a CPU-only worker image, missing CUDA libraries, a failed GPU load). False: such a replica"
            + " stops with the reason and the deployment reports ReplicasFailing, instead of holding a slice it does"
            + " not use.")
    private Boolean allowCpuFallback = false;

    @JsonPropertyDescription("Only nodes with these labels are eligible.")
    private Map<String, String> nodeSelector = new LinkedHashMap<>();

    @JsonPropertyDescription("Tolerations of the worker pods; tainted nodes are eligible only when tolerated.")
    private List<Toleration> tolerations = new ArrayList<>();

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public List<EnvVar> getEnv() {
        return env;
    }

    public void setEnv(List<EnvVar> env) {
        this.env = env;
    }

    public Boolean getAllowCpuFallback() {
        return allowCpuFallback;
    }

    public void setAllowCpuFallback(Boolean allowCpuFallback) {
        this.allowCpuFallback = allowCpuFallback;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }
}
