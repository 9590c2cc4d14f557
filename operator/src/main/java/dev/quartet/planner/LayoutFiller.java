package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Rule 7: the full layout a repartitioned GPU gets. It holds the GPU's planned replicas, covers as many memory
 * slices as any full layout can (no avoidable fragmentation), and gives its free instances the profiles of the
 * unsatisfied demands first, then of the most requested ones.
 */
final class LayoutFiller {

    /** Per model: profile indexes, most wanted first. */
    private final int[][] preference;

    LayoutFiller(PlacementState state) {
        this.preference = new int[state.input.models.length][];
        for (GpuModel model : state.input.models) {
            LayoutCatalog catalog = LayoutCatalog.of(model);
            long[] unsatisfied = new long[catalog.profileCount()];
            long[] requested = new long[catalog.profileCount()];
            for (ResolvedDemand demand : state.input.demands) {
                int p = demand.profileOn(model);
                if (p >= 0) {
                    unsatisfied[p] += state.missing(demand.id);
                    requested[p] += demand.replicas();
                }
            }
            preference[model.ordinal()] = IntStream.range(0, catalog.profileCount())
                    .boxed()
                    .sorted(Comparator.comparingLong((Integer p) -> -unsatisfied[p])
                            .thenComparingLong(p -> -requested[p])
                            .thenComparing(p -> catalog.profile(p).mediaExtensions())
                            .thenComparingInt(p -> catalog.profile(p).memorySlices())
                            .thenComparingInt(p -> p))
                    .mapToInt(Integer::intValue)
                    .toArray();
        }
    }

    /**
     * The layout for an opened GPU: its current layout when that holds the planned replicas and is full, or when
     * keeping it spares its displaced replicas a move; otherwise the best full layout holding them.
     */
    LayoutShape choose(GpuWork gpu) {
        LayoutCatalog catalog = gpu.catalog;
        if (keepsCurrent(gpu, gpu.openCode)) {
            return gpu.current;
        }
        LayoutShape best = null;
        int[] bestScore = null;
        for (LayoutShape layout : catalog.fullLayouts()) {
            if (!catalog.contains(layout.code(), gpu.openCode)) {
                continue;
            }
            int[] score = score(catalog, layout, gpu.openCode);
            // rule 4 before rule 7: on a dynamic GPU, the layout that keeps most displaced replicas where they run
            score[0] += gpu.dynamic && gpu.displaced ? keptInPlace(gpu, layout) * SLICES_PER_REPLICA_KEPT : 0;
            if (best == null || Arrays.compare(score, bestScore) > 0) {
                best = layout;
                bestScore = score;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no full layout holds the planned replicas of GPU " + gpu.index);
        }
        return best;
    }

    /** Outweighs any difference in memory slices covered (at most 8 per GPU). */
    private static final int SLICES_PER_REPLICA_KEPT = 16;

    /**
     * How many of a displaced GPU's running replicas {@code layout} lets stay where they run: it holds the
     * replica's instance, and the GPU's planned replicas include one of the same demand and profile for it.
     */
    static int keptInPlace(GpuWork gpu, LayoutShape layout) {
        int[] left = new int[gpu.openSize];
        System.arraycopy(gpu.openDemand, 0, left, 0, gpu.openSize);
        int kept = 0;
        for (int i = 0; i < gpu.current.size(); i++) {
            int demand = gpu.runningDemand[i];
            if (demand < 0
                    || instanceAt(
                                    layout,
                                    gpu.current.profileIndex()[i],
                                    gpu.current.starts()[i])
                            < 0) {
                continue;
            }
            for (int k = 0; k < left.length; k++) {
                if (left[k] == demand && gpu.openProfile[k] == gpu.current.profileIndex()[i]) {
                    left[k] = GpuWork.FREE;
                    kept++;
                    break;
                }
            }
        }
        return kept;
    }

    /** The index in {@code layout} of the instance of profile {@code p} at {@code start}, or -1. */
    static int instanceAt(LayoutShape layout, int p, int start) {
        for (int i = 0; i < layout.size(); i++) {
            if (layout.profileIndex()[i] == p && layout.starts()[i] == start) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether an opened GPU holding multiset {@code code} keeps its current layout ({@link #choose}); otherwise it
     * gets the full layout holding {@code code} that covers most memory slices ({@link LayoutCatalog#bestCover}).
     */
    static boolean keepsCurrent(GpuWork gpu, int code) {
        return gpu.catalog.contains(gpu.current.code(), code) && (gpu.displaced || gpu.currentIsFull());
    }

    /** Higher is better: slices covered, then slices of free instances per preferred profile, fewest instances. */
    private int[] score(LayoutCatalog catalog, LayoutShape layout, int planned) {
        int[] order = preference[catalog.model().ordinal()];
        int[] score = new int[order.length + 2];
        score[0] = catalog.slicesUsed(layout.code());
        for (int rank = 0; rank < order.length; rank++) {
            int p = order[rank];
            int free = catalog.count(layout.code(), p) - catalog.count(planned, p);
            score[rank + 1] = free * catalog.profile(p).memorySlices();
        }
        score[order.length + 1] = -layout.size();
        return score;
    }
}
