package dev.quartet.agent.core;

import dev.quartet.agent.nvml.GpuFacts;
import java.util.List;

/**
 * What each GPU of the node has, read afresh on every call: NVML through JNA on a node (the node-agent module's
 * {@code NvmlReader}), the simulated GPUs in the GPU node simulator.
 */
@FunctionalInterface
public interface GpuFactsSource {

    /** Every GPU, by NVML index; throws when the facts cannot be read (the pass fails and is retried). */
    List<GpuFacts> read();
}
