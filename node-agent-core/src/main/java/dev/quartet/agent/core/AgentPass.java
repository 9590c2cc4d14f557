package dev.quartet.agent.core;

import dev.quartet.agent.annotations.AnnotationRendering;
import dev.quartet.agent.annotations.DesiredAnnotations;
import dev.quartet.agent.kubelet.PodDevices;
import dev.quartet.agent.nvml.GpuFacts;
import java.util.List;

/**
 * One pass of the node agent: read the GPUs' facts, read which devices the kubelet gave each pod, render every
 * annotation and write only what changed. The agent's DaemonSet and the GPU node simulator run this same code; only
 * the facts' source differs (NVML through JNA, or the simulated GPUs).
 */
public final class AgentPass {

    /**
     * What one pass saw and did.
     *
     * @param gpus GPUs the facts listed
     * @param pods pods the kubelet reported with MIG devices
     * @param writes API writes made
     * @param unknownDevices MIG devices the kubelet assigned that the GPUs' facts do not list (yet)
     */
    public record Result(int gpus, int pods, int writes, List<String> unknownDevices) {}

    private final GpuFactsSource gpus;
    private final PodDevicesSource podResources;
    private final AnnotationSink sink;

    public AgentPass(GpuFactsSource gpus, PodDevicesSource podResources, AnnotationSink sink) {
        this.gpus = gpus;
        this.podResources = podResources;
        this.sink = sink;
    }

    /** Runs the pass; a failure to read either source throws, and nothing is written. */
    public Result run() {
        List<GpuFacts> facts = gpus.read();
        List<PodDevices> pods = podResources.list();
        DesiredAnnotations desired = AnnotationRendering.desired(pods, facts);
        int writes = sink.apply(desired);
        return new Result(facts.size(), pods.size(), writes, desired.unknownDevices());
    }
}
