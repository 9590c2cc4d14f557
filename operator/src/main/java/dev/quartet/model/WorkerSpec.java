package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The worker pod each replica runs: image, resources and scheduling constraints. */
public class WorkerSpec {

    @JsonPropertyDescription("Worker image; defaults to the operator's configured worker image.")
    private String image;

    @JsonPropertyDescription(
            "CPU and memory requests/limits of the worker container (the MIG slice is added by Quartet).")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Extra environment variables of the worker container, such as its tuning "
            + "(QUARTET_BATCHING_WORKERS, QUARTET_ENGINE_THREADS_PER_CALL). Refused: what Quartet sets from "
            + "spec.model and spec.batching (QUARTET_MODEL_URI, _NAME, _FORMAT, _SHA256, "
            + "QUARTET_BATCHING_MAX_BATCH_SIZE, _MAX_BATCH_DELAY_MILLIS, _QUEUE_LIMIT), QUARKUS_HTTP_PORT and "
            + "NVIDIA_VISIBLE_DEVICES.")
    private List<EnvVar> env = new ArrayList<>();

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
