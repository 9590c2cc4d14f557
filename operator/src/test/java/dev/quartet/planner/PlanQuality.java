package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The figures the benchmark compares planners on. Stranded slices: memory slices of a GPU that holds at least
 * one replica in the plan (running or new) and that no instance of its planned layout covers; no replica can
 * use them until every replica on that GPU is gone, since MIG Manager must wipe a GPU to add an instance.
 * They are also split by where they are: on GPUs the plan repartitions, on GPUs kept because running or
 * foreign replicas pin them, and on idle GPUs whose current layout the plan uses as is. Of all stranded
 * slices, {@code strandedWhereAnInstanceFits} counts those an instance of some profile could still legally
 * cover beside the layout (rule 7's avoidable fragmentation); the others are left by layouts that are full
 * (every compute slice or instance count used, as seven 1g instances leave slice 7 of an 8-slice GPU).
 * {@code nodesRepartitioned}: nodes with at least one GPU repartitioned, each one MIG Manager reconfiguration.
 */
record PlanQuality(
        long satisfied,
        long wanted,
        long repartitioned,
        long nodesRepartitioned,
        long stranded,
        long moved,
        long strandedOnRepartitioned,
        long strandedOnPinned,
        long strandedOnIdleAsIs,
        long strandedWhereAnInstanceFits) {

    static PlanQuality of(ClusterState state, List<Demand> demands, Plan plan) {
        Set<String> occupied = new HashSet<>();
        plan.assignments().forEach(a -> occupied.add(a.node() + "/" + a.gpu()));
        Map<String, GpuState> current = new HashMap<>();
        state.nodes()
                .forEach(n -> n.gpus().forEach(g -> {
                    current.put(n.name() + "/" + g.index(), g);
                    if (g.instances().stream().anyMatch(InstanceState::isForeign)) {
                        occupied.add(n.name() + "/" + g.index());
                    }
                }));
        long[] where = new long[3];
        long fits = 0;
        for (GpuPlan gpu : plan.gpus()) {
            String key = gpu.node() + "/" + gpu.index();
            if (occupied.contains(key)) {
                boolean pinned = current.get(key).instances().stream().anyMatch(i -> !i.isFree());
                where[gpu.repartition() ? 0 : pinned ? 1 : 2] += uncovered(gpu.model(), gpu.layout());
                fits += coverable(gpu.model(), gpu.layout());
            }
        }
        return new PlanQuality(
                plan.assignments().size(),
                demands.stream().mapToLong(Demand::replicas).sum(),
                plan.gpus().stream().filter(GpuPlan::repartition).count(),
                plan.gpus().stream()
                        .filter(GpuPlan::repartition)
                        .map(GpuPlan::node)
                        .distinct()
                        .count(),
                where[0] + where[1] + where[2],
                plan.moved().size(),
                where[0],
                where[1],
                where[2],
                fits);
    }

    /** Memory slices of a GPU of {@code model} that no instance of {@code layout} covers. */
    static int uncovered(GpuModel model, List<Instance> layout) {
        return model.memorySlices()
                - layout.stream()
                        .mapToInt(i -> model.requireProfile(i.profile()).memorySlices())
                        .sum();
    }

    /** Uncovered memory slices of {@code layout} that one more instance of some profile could legally cover. */
    static int coverable(GpuModel model, List<Instance> layout) {
        boolean[] coverable = new boolean[model.memorySlices()];
        for (MigProfile p : model.profiles()) {
            for (int start : p.starts()) {
                List<Instance> more = new ArrayList<>(layout);
                more.add(new Instance(p.name(), start));
                if (LayoutCatalog.isLegal(model, more)) {
                    for (int s = start; s < start + p.memorySlices(); s++) {
                        coverable[s] = true;
                    }
                }
            }
        }
        int n = 0;
        for (boolean c : coverable) {
            n += c ? 1 : 0;
        }
        return n;
    }
}
