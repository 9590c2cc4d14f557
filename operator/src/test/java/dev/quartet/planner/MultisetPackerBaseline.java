package dev.quartet.planner;

import dev.quartet.nvidia.MigProfile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Baseline: a multiset packer that ignores start slots. Replicas take free instances of their profile first;
 * the rest are packed (highest priority first, then largest profile first, first fit) into GPUs nothing runs on,
 * counting only memory slices and per-profile maximums. Each packed GPU is then wiped and laid out largest
 * instance first at the lowest legal start; replicas whose instance finds no legal start are left unsatisfied.
 */
final class MultisetPackerBaseline {

    Plan plan(ClusterState state, List<Demand> demands) {
        BaselineLayouts layouts = new BaselineLayouts(state, demands);
        List<Integer> rest = new ArrayList<>();
        for (int d : layouts.missingReplicas()) {
            if (!layouts.placeOnFreeInstance(d)) {
                rest.add(d);
            }
        }
        rest.sort(Comparator.comparingInt((Integer d) -> -layouts.input.demands[d].priority())
                .thenComparingInt(d -> -layouts.input.demands[d].size)
                .thenComparingInt(d -> d));
        List<List<int[]>> packed = new ArrayList<>();
        for (GpuWork gpu : layouts.gpus) {
            packed.add(new ArrayList<>());
        }
        for (int d : rest) {
            pack(layouts, packed, d);
        }
        for (GpuWork gpu : layouts.gpus) {
            if (!packed.get(gpu.id).isEmpty()) {
                layOut(layouts, gpu, packed.get(gpu.id));
            }
        }
        return layouts.plan();
    }

    private static void pack(BaselineLayouts layouts, List<List<int[]>> packed, int d) {
        ResolvedDemand demand = layouts.input.demands[d];
        for (GpuWork gpu : layouts.gpus) {
            int p = demand.profileOn(gpu.model);
            if (p < 0 || !demand.eligible[gpu.node] || !layouts.canCreate(gpu) || hasPlaced(layouts, gpu)) {
                continue;
            }
            List<int[]> items = packed.get(gpu.id);
            int used = items.stream()
                    .mapToInt(i -> gpu.catalog.profile(i[1]).memorySlices())
                    .sum();
            long same = items.stream().filter(i -> i[1] == p).count();
            MigProfile profile = gpu.catalog.profile(p);
            if (used + profile.memorySlices() <= gpu.model.memorySlices() && same < profile.maxCount()) {
                items.add(new int[] {d, p});
                return;
            }
        }
    }

    /** A GPU whose existing free instances already took replicas keeps its layout. */
    private static boolean hasPlaced(BaselineLayouts layouts, GpuWork gpu) {
        return layouts.layouts.get(gpu.id).stream().anyMatch(s -> s.demand >= 0);
    }

    private static void layOut(BaselineLayouts layouts, GpuWork gpu, List<int[]> items) {
        layouts.layouts.get(gpu.id).clear();
        items.sort(
                Comparator.comparingInt((int[] i) -> -gpu.catalog.profile(i[1]).memorySlices()));
        for (int[] item : items) {
            int start = layouts.lowestStart(gpu, item[1]);
            if (start >= 0) {
                layouts.layouts.get(gpu.id).add(new BaselineLayouts.Slot(item[1], start, item[0], null));
            }
        }
    }
}
