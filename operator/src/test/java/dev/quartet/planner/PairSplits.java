package dev.quartet.planner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An oracle for rule 7 across a node's GPUs, independent of the planner's multiset codes: for two repartitioned
 * GPUs of one model and node that ran nothing before, every way to share their new replicas' profiles out between
 * them is tried against the full layouts of the catalog. A plan passes when no split repartitions fewer GPUs, or
 * as many and strands fewer memory slices, than the plan's own, wherever the plan strands a slice on the pair.
 */
final class PairSplits {

    private PairSplits() {}

    /** The first pair a better split exists for, described, or empty. */
    static Optional<String> betterSplit(ClusterState state, Plan plan) {
        for (NodeState node : state.nodes()) {
            List<GpuState> idle = node.gpus().stream()
                    .filter(g -> repartitioned(plan, node, g))
                    .filter(g -> g.instances().stream().allMatch(InstanceState::isFree))
                    .toList();
            for (int i = 0; i < idle.size(); i++) {
                for (int j = i + 1; j < idle.size(); j++) {
                    if (idle.get(i).model() == idle.get(j).model()) {
                        Optional<String> better = betterSplit(plan, node, idle.get(i), idle.get(j));
                        if (better.isPresent()) {
                            return better;
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> betterSplit(Plan plan, NodeState node, GpuState a, GpuState b) {
        List<String> profiles = new ArrayList<>();
        profiles.addAll(profilesOn(plan, node, a));
        profiles.addAll(profilesOn(plan, node, b));
        int stranded = PlanQuality.uncovered(a.model(), layoutOf(plan, node, a))
                + PlanQuality.uncovered(a.model(), layoutOf(plan, node, b));
        if (stranded == 0) {
            return Optional.empty();
        }
        Map<String, int[]> costs = new HashMap<>();
        for (int mask = 0; mask < 1 << profiles.size(); mask++) {
            List<String> first = new ArrayList<>();
            List<String> second = new ArrayList<>();
            for (int k = 0; k < profiles.size(); k++) {
                ((mask >> k & 1) == 1 ? first : second).add(profiles.get(k));
            }
            int[] x = costs.computeIfAbsent("a" + sorted(first), key -> cost(a, first));
            int[] y = costs.computeIfAbsent("b" + sorted(second), key -> cost(b, second));
            if (x != null && y != null) {
                int repartitions = x[0] + y[0];
                int strandedBySplit = x[1] + y[1];
                if (repartitions < 2 || strandedBySplit < stranded) {
                    return Optional.of(node.name() + " gpus " + a.index() + "+" + b.index() + ": " + first + " / "
                            + second + " repartitions " + repartitions + " and strands " + strandedBySplit
                            + ", the plan 2 and " + stranded);
                }
            }
        }
        return Optional.empty();
    }

    /** Repartitioned (0/1) and stranded slices of a GPU holding these profiles, or null when no layout holds them. */
    private static int[] cost(GpuState gpu, List<String> profiles) {
        if (profiles.isEmpty()) {
            return new int[] {0, 0};
        }
        LayoutCatalog catalog = LayoutCatalog.of(gpu.model());
        List<Instance> current =
                gpu.instances().stream().map(InstanceState::instance).toList();
        if (!current.isEmpty() && catalog.isFull(catalog.shapeOf(current)) && holds(current, profiles)) {
            return new int[] {0, PlanQuality.uncovered(gpu.model(), current)};
        }
        int[] best = null;
        for (LayoutShape layout : catalog.fullLayouts()) {
            List<Instance> instances = layout.instances(catalog);
            if (holds(instances, profiles)) {
                int uncovered = PlanQuality.uncovered(gpu.model(), instances);
                if (best == null || uncovered < best[1]) {
                    best = new int[] {1, uncovered};
                }
            }
        }
        return best;
    }

    private static boolean holds(List<Instance> layout, List<String> profiles) {
        List<String> free =
                new ArrayList<>(layout.stream().map(Instance::profile).toList());
        return profiles.stream().allMatch(free::remove);
    }

    private static List<String> sorted(List<String> profiles) {
        return profiles.stream().sorted().toList();
    }

    private static boolean repartitioned(Plan plan, NodeState node, GpuState gpu) {
        return gpuPlan(plan, node, gpu).repartition();
    }

    private static List<Instance> layoutOf(Plan plan, NodeState node, GpuState gpu) {
        return gpuPlan(plan, node, gpu).layout();
    }

    private static GpuPlan gpuPlan(Plan plan, NodeState node, GpuState gpu) {
        return plan.gpus().stream()
                .filter(g -> g.node().equals(node.name()) && g.index() == gpu.index())
                .findFirst()
                .orElseThrow();
    }

    private static List<String> profilesOn(Plan plan, NodeState node, GpuState gpu) {
        return plan.assignments().stream()
                .filter(x -> x.node().equals(node.name()) && x.gpu() == gpu.index())
                .map(Assignment::profile)
                .toList();
    }
}
