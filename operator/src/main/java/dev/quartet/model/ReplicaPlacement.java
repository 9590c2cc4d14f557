package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where one replica runs: its pod, node, GPU and MIG slice. */
public class ReplicaPlacement {

    @JsonPropertyDescription("Replica pod name.")
    private String pod;

    @JsonPropertyDescription("Node the pod runs on (or is planned for).")
    private String node;

    @JsonPropertyDescription(
            "GPU index on the node (the GPU's minor number on a DRA node); absent until the device" + " is known.")
    private Integer gpu;

    @JsonPropertyDescription("MIG profile of the slice.")
    private String profile;

    @JsonPropertyDescription("First memory slot of the slice on its GPU; absent until known.")
    private Integer start;

    @JsonPropertyDescription(
            "MIG device: its UUID as the device plugin gave it, or on a node of NVIDIA's DRA driver the"
                    + " device its ResourceClaim is allocated (gpu-0-mig-1g6gb-14-3).")
    private String device;

    @JsonPropertyDescription("Terminating while the pod is being deleted, else Ready if the pod is Ready, else the"
            + " pod phase (Pending, Running, Failed, ...).")
    private String state;

    public ReplicaPlacement() {}

    public ReplicaPlacement(
            String pod, String node, Integer gpu, String profile, Integer start, String device, String state) {
        this.pod = pod;
        this.node = node;
        this.gpu = gpu;
        this.profile = profile;
        this.start = start;
        this.device = device;
        this.state = state;
    }

    public String getPod() {
        return pod;
    }

    public void setPod(String pod) {
        this.pod = pod;
    }

    public String getNode() {
        return node;
    }

    public void setNode(String node) {
        this.node = node;
    }

    public Integer getGpu() {
        return gpu;
    }

    public void setGpu(Integer gpu) {
        this.gpu = gpu;
    }

    public String getProfile() {
        return profile;
    }

    public void setProfile(String profile) {
        this.profile = profile;
    }

    public Integer getStart() {
        return start;
    }

    public void setStart(Integer start) {
        this.start = start;
    }

    public String getDevice() {
        return device;
    }

    public void setDevice(String device) {
        this.device = device;
    }

    public String getState() {
        return state;
    }

    public void setState(String state) {
        this.state = state;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReplicaPlacement p
                && java.util.Objects.equals(pod, p.pod)
                && java.util.Objects.equals(node, p.node)
                && java.util.Objects.equals(gpu, p.gpu)
                && java.util.Objects.equals(profile, p.profile)
                && java.util.Objects.equals(start, p.start)
                && java.util.Objects.equals(device, p.device)
                && java.util.Objects.equals(state, p.state);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(pod, node, gpu, profile, start, device, state);
    }
}
