package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.List;

/**
 * One GPU of a node: its model and its current MIG instances (empty = no instances). {@code layoutFixed} means
 * the operator forbids repartitioning this GPU now (a pod whose slice it cannot see may run on it); its free
 * instances can still be used.
 */
public record GpuState(int index, GpuModel model, List<InstanceState> instances, boolean layoutFixed) {

    public GpuState {
        instances = List.copyOf(instances);
    }

    public GpuState(int index, GpuModel model, List<InstanceState> instances) {
        this(index, model, instances, false);
    }
}
