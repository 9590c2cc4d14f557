package dev.quartet.planner;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The figures the benchmark compares planners on. Stranded slices: memory slices of a GPU that holds at least
 * one replica in the plan (running or new) and that no instance of its planned layout covers; no replica can
 * use them until every replica on that GPU is gone, since MIG Manager must wipe a GPU to add an instance.
 */
record PlanQuality(long satisfied, long wanted, long repartitioned, long stranded, long moved) {

    static PlanQuality of(ClusterState state, List<Demand> demands, Plan plan) {
        Set<String> occupied = new HashSet<>();
        plan.assignments().forEach(a -> occupied.add(a.node() + "/" + a.gpu()));
        state.nodes().forEach(n -> n.gpus().forEach(g -> g.instances().stream().filter(InstanceState::isForeign)
                .forEach(i -> occupied.add(n.name() + "/" + g.index()))));
        long stranded = 0;
        for (GpuPlan gpu : plan.gpus()) {
            if (occupied.contains(gpu.node() + "/" + gpu.index())) {
                stranded += uncovered(gpu.model(), gpu.layout());
            }
        }
        return new PlanQuality(plan.assignments().size(), demands.stream().mapToLong(Demand::replicas).sum(),
                plan.gpus().stream().filter(GpuPlan::repartition).count(), stranded, plan.moved().size());
    }

    /** Memory slices of a GPU of {@code model} that no instance of {@code layout} covers. */
    static int uncovered(GpuModel model, List<Instance> layout) {
        return model.memorySlots() - layout.stream()
                .mapToInt(i -> GpuCatalog.profile(model, i.profile()).memorySlices()).sum();
    }
}
