package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.List;

/**
 * One GPU of a node: its model and its current MIG instances (empty = no instances). {@code layoutFixed} means
 * the operator forbids repartitioning this GPU now (a pod whose slice it cannot see may run on it); its free
 * instances can still be used. {@code dynamic}: the GPU's instances are made per claim (NVIDIA's DRA driver with
 * DynamicMIG), so {@code instances} lists only the ones in use and any free legal placement can be used at once,
 * with nothing paused; the planner chooses the free instances itself ({@link DynamicFill}).
 */
public record GpuState(int index, GpuModel model, List<InstanceState> instances, boolean layoutFixed, boolean dynamic) {

    public GpuState {
        instances = List.copyOf(instances);
    }

    public GpuState(int index, GpuModel model, List<InstanceState> instances, boolean layoutFixed) {
        this(index, model, instances, layoutFixed, false);
    }

    public GpuState(int index, GpuModel model, List<InstanceState> instances) {
        this(index, model, instances, false, false);
    }
}
