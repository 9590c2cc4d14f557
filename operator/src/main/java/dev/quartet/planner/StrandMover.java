package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rule 7 across nodes, after {@link NodeRepacker}. A repartitioned GPU whose new replicas use every compute slice
 * with profiles covering one memory slice each (seven {@code 1g}, {@code 4g + 3 x 1g}) strands its last memory
 * slice; with one replica fewer its full layout covers every slice. So one new replica goes from such a GPU to a
 * free instance of a GPU kept as it is, or to room on another repartitioned GPU, when that lowers (repartitions,
 * stranded slices) and no rule above 7 changes: the replica stays on its node, or a spread demand's replica goes
 * to an eligible node holding fewer of it than the node it leaves (rule 5: the node it reaches then holds at
 * most what the node it leaves held, so no two nodes end further apart). Nothing running moves (rule 4);
 * displaced GPUs, whose running replicas may stay in place, are neither source nor target.
 */
final class StrandMover {

    private final PlacementState state;
    /**
     * Per model and profile index: the GPUs that could take a replica of it, in the order they became able to
     * (GPU order first). A GPU stays listed when it no longer can; every use checks again.
     */
    private final List<List<List<GpuWork>>> takers = new ArrayList<>();

    private final boolean[][] listed;

    StrandMover(PlacementState state) {
        this.state = state;
        for (GpuModel model : state.input.models) {
            List<List<GpuWork>> byProfile = new ArrayList<>();
            for (int p = 0; p < LayoutCatalog.of(model).profileCount(); p++) {
                byProfile.add(new ArrayList<>());
            }
            takers.add(byProfile);
        }
        this.listed = new boolean[state.gpus.length][];
        for (GpuWork gpu : state.gpus) {
            listed[gpu.id] = new boolean[gpu.catalog.profileCount()];
        }
    }

    void run() {
        for (GpuWork gpu : state.gpus) {
            enlist(gpu);
        }
        for (GpuWork gpu : state.gpus) {
            while (isSource(gpu) && NodeRepacker.cost(gpu, gpu.openCode)[1] > 0 && moveOne(gpu)) {
                // each move lowers (repartitions, stranded slices) of the cluster; it cannot go on for ever
            }
        }
        state.commit();
    }

    /** A repartitioned GPU holding new replicas that may go elsewhere (not displaced: its running ones may stay). */
    static boolean isSource(GpuWork gpu) {
        return gpu.open && !gpu.displaced && gpu.openSize > 0;
    }

    /** Lists a GPU as a taker of every profile it can now take one more of (once per profile). */
    private void enlist(GpuWork gpu) {
        List<List<GpuWork>> byProfile = takers.get(gpu.model.ordinal());
        for (int p = 0; p < byProfile.size(); p++) {
            if (!listed[gpu.id][p] && canTake(gpu, p) != null) {
                listed[gpu.id][p] = true;
                byProfile.get(p).add(gpu);
            }
        }
    }

    /**
     * What one more replica of profile {@code p} costs a GPU, as {repartitions, stranded slices} added, or null
     * when it cannot take one without a repartition it would not have had.
     */
    private static int[] canTake(GpuWork gpu, int p) {
        if (gpu.displaced) {
            return null;
        }
        if (gpu.open) {
            int code = gpu.catalog.plus(gpu.openCode, p);
            if (code < 0) {
                return null;
            }
            int[] before = NodeRepacker.cost(gpu, gpu.openCode);
            int[] after = NodeRepacker.cost(gpu, code);
            return after[0] > before[0] ? null : new int[] {after[0] - before[0], after[1] - before[1]};
        }
        if (gpu.freeInstance(p) < 0) {
            return null;
        }
        boolean holds = gpu.hasKeptRunning() || gpu.hasPlanned();
        return new int[] {0, holds ? 0 : gpu.model.memorySlices() - gpu.catalog.slicesUsed(gpu.current.code())};
    }

    /** Moves the one replica off {@code from} that lowers (repartitions, stranded slices) most, if any. */
    private boolean moveOne(GpuWork from) {
        int[] best = NodeRepacker.cost(from, from.openCode);
        int bestK = -1;
        GpuWork bestTo = null;
        for (int k = 0; k < from.openSize; k++) {
            int[] left = from.openSize == 1
                    ? new int[] {0, 0}
                    : NodeRepacker.cost(from, from.catalog.minus(from.openCode, from.openProfile[k]));
            if (Arrays.compare(left, best) >= 0) {
                continue;
            }
            ResolvedDemand demand = state.demand(from.openDemand[k]);
            search:
            for (GpuModel model : demand.models) {
                int p = demand.profileOn(model);
                for (GpuWork to : takers.get(model.ordinal()).get(p)) {
                    if (to == from || !mayMove(state, demand, from.node, to.node)) {
                        continue;
                    }
                    int[] added = canTake(to, p);
                    if (added == null) {
                        continue;
                    }
                    int[] total = {left[0] + added[0], left[1] + added[1]};
                    if (Arrays.compare(total, best) < 0) {
                        best = total;
                        bestK = k;
                        bestTo = to;
                    }
                    if (added[0] <= 0 && added[1] <= 0) {
                        break search;
                    }
                }
            }
        }
        if (bestK < 0) {
            return false;
        }
        int d = from.openDemand[bestK];
        int p = state.demand(d).profileOn(bestTo.model);
        state.removeOpen(from, bestK);
        if (bestTo.open) {
            state.placeOpen(bestTo, d, p);
        } else {
            state.placeExact(bestTo, bestTo.freeInstance(p), d);
        }
        if (from.openSize == 0) {
            state.close(from);
        }
        enlist(from);
        return true;
    }

    /** Rule 5 unchanged: the same node, or a spread demand's eligible node holding fewer than the one left. */
    static boolean mayMove(PlacementState state, ResolvedDemand demand, int from, int to) {
        if (from == to) {
            return true;
        }
        int[] counts = state.counts(demand.id);
        return !demand.pack() && demand.eligible[to] && counts[to] + 1 <= counts[from];
    }
}
