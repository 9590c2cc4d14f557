package dev.quartet.planner;

import java.util.List;

/** One GPU of a node: its model and its current MIG instances (empty = no instances). */
public record GpuState(int index, GpuModel model, List<InstanceState> instances) {

    public GpuState {
        instances = List.copyOf(instances);
    }
}
