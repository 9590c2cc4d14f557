package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.List;

/** The target layout of one GPU, sorted by start, and whether it differs from the current one. */
public record GpuPlan(String node, int index, GpuModel model, List<Instance> layout, boolean repartition) {

    public GpuPlan {
        layout = List.copyOf(layout);
    }
}
