package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The most replicas any plan can satisfy (per priority, highest first) on a small single-model cluster without
 * node restrictions: tries every full layout on every GPU that may change, and keeps or drains movable ones.
 */
final class ExhaustiveSearch {

    private final List<GpuState> gpus = new ArrayList<>();
    private final List<List<Option>> options = new ArrayList<>();
    private final List<Demand> demands;
    private final int[] levels;
    private long[] best;

    /** One possible future of a GPU: its layout and the running replicas it keeps (per demand). */
    private record Option(List<Instance> free, Map<String, Integer> kept) {}

    ExhaustiveSearch(ClusterState state, List<Demand> demands) {
        this.demands = demands;
        TreeSet<Integer> priorities = new TreeSet<>();
        demands.forEach(d -> priorities.add(-d.priority()));
        this.levels = priorities.stream().mapToInt(p -> -p).toArray();
        Map<String, Demand> byName = new HashMap<>();
        demands.forEach(d -> byName.put(d.name(), d));
        for (NodeState node : state.nodes()) {
            for (GpuState gpu : node.gpus()) {
                gpus.add(gpu);
                options.add(options(node, gpu, byName));
            }
        }
    }

    private List<Option> options(NodeState node, GpuState gpu, Map<String, Demand> demands) {
        List<Option> list = new ArrayList<>();
        Map<String, Integer> kept = new HashMap<>();
        List<Instance> free = new ArrayList<>();
        boolean locked = node.layoutFixed() || gpu.layoutFixed();
        for (InstanceState instance : gpu.instances()) {
            if (instance.isFree()) {
                free.add(instance.instance());
                continue;
            }
            Demand demand = instance.isForeign() ? null : demands.get(instance.demand());
            locked |= demand == null || !(demand.movable() && instance.movable());
            if (demand != null) {
                kept.merge(demand.name(), 1, Integer::sum);
            }
        }
        list.add(new Option(free, kept));
        if (!locked) {
            LayoutCatalog catalog = LayoutCatalog.of(gpu.model());
            for (LayoutShape layout : catalog.fullLayouts()) {
                list.add(new Option(layout.instances(catalog), Map.of()));
            }
        }
        return list;
    }

    long[] best() {
        best = new long[levels.length];
        Arrays.fill(best, -1);
        search(0, new ArrayList<>());
        return best;
    }

    private void search(int gpu, List<Option> chosen) {
        if (gpu == gpus.size()) {
            long[] value = evaluate(chosen);
            if (Arrays.compare(value, best) > 0) {
                best = value;
            }
            return;
        }
        for (Option option : options.get(gpu)) {
            chosen.add(option);
            search(gpu + 1, chosen);
            chosen.remove(chosen.size() - 1);
        }
    }

    private long[] evaluate(List<Option> chosen) {
        Map<String, Integer> freeByProfile = new HashMap<>();
        Map<String, Integer> kept = new HashMap<>();
        for (int g = 0; g < chosen.size(); g++) {
            chosen.get(g).free().forEach(i -> freeByProfile.merge(i.profile(), 1, Integer::sum));
            chosen.get(g).kept().forEach((d, n) -> kept.merge(d, n, Integer::sum));
        }
        GpuModel model = gpus.get(0).model();
        long[] value = new long[levels.length];
        for (int level = 0; level < levels.length; level++) {
            for (Demand demand : demands) {
                if (demand.priority() != levels[level]) {
                    continue;
                }
                int have = kept.getOrDefault(demand.name(), 0);
                String profile = ResolvedDemand.resolve(demand, model)
                        .map(MigProfile::name)
                        .orElse(null);
                int free = profile == null ? 0 : freeByProfile.getOrDefault(profile, 0);
                int take = Math.min(free, Math.max(0, demand.replicas() - have));
                if (profile != null) {
                    freeByProfile.put(profile, free - take);
                }
                value[level] += have + take;
            }
        }
        return value;
    }

    /** What a plan satisfies, in the same form. */
    static long[] satisfied(Plan plan, List<Demand> demands) {
        TreeSet<Integer> priorities = new TreeSet<>();
        demands.forEach(d -> priorities.add(-d.priority()));
        int[] levels = priorities.stream().mapToInt(p -> -p).toArray();
        long[] value = new long[levels.length];
        for (Assignment a : plan.assignments()) {
            int priority = demands.stream()
                    .filter(d -> d.name().equals(a.demand()))
                    .findFirst()
                    .orElseThrow()
                    .priority();
            for (int level = 0; level < levels.length; level++) {
                value[level] += levels[level] == priority ? 1 : 0;
            }
        }
        return value;
    }
}
