package dev.quartet.planner;

import java.util.List;

/**
 * One node's GPUs. {@code layoutFixed} means the operator forbids repartitioning any GPU of this node now
 * (MIG Manager busy, node not adoptable, the slice of a pod unknown...): its free instances can still be used.
 */
public record NodeState(String name, List<GpuState> gpus, boolean layoutFixed) {

    public NodeState {
        gpus = List.copyOf(gpus);
    }
}
