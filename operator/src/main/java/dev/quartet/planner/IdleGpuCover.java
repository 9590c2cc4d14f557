package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rule 7 at the price of repartitioning idle GPUs, after {@link StrandMover}: repartitioned GPUs that still strand a
 * slice (every compute slice in profiles covering one memory slice each, as 7 x {@code 1g.10gb}) give one new
 * replica each to an idle GPU (nothing running or planned on it) of a node whose other GPUs are repartitioned
 * anyway, so that each of them, and the idle GPU, covers every memory slice. A trade is made only when it covers
 * at least {@code minSlices} slices for that one more GPU repartitioned. It adds no node reconfiguration (MIG
 * Manager applies the node's config once, whatever the number of GPUs that change) and moves nothing running, so
 * it bends rule 6 only as a count of GPUs; {@code minSlices} 0 keeps rule 6 strictly above rule 7. Rules 1-5
 * hold as in {@link StrandMover}: only new replicas move, each stays on its node or is a spread demand's going to
 * an eligible node holding fewer of it than the node it leaves.
 */
final class IdleGpuCover {

    private final PlacementState state;
    private final int minSlices;
    /** GPUs that strand a slice, in GPU order (a trade only ever ends a GPU's stranding). */
    private final List<GpuWork> sources = new ArrayList<>();
    /** Per GPU model, once asked: the sources with a replica that could go to a GPU of that model. */
    private final List<List<GpuWork>> sourcesFor = new ArrayList<>();
    /** Per GPU: the slices it strands while it is a source, else 0. */
    private final int[] stranded;
    /**
     * Per source GPU, once asked: per profile, whether it covers every slice with one replica of it fewer (its
     * multiset changes only when it gives a replica, and then it is no longer a source).
     */
    private final boolean[][] releasable;

    IdleGpuCover(PlacementState state, int minSlices) {
        this.state = state;
        this.minSlices = minSlices;
        this.stranded = new int[state.gpus.length];
        this.releasable = new boolean[state.gpus.length][];
        for (int m = 0; m < state.input.models.length; m++) {
            sourcesFor.add(null);
        }
    }

    void run() {
        if (minSlices <= 0) {
            return;
        }
        for (GpuWork gpu : state.gpus) {
            if (StrandMover.isSource(gpu)) {
                stranded[gpu.id] = NodeRepacker.cost(gpu, gpu.openCode)[1];
                if (stranded[gpu.id] > 0) {
                    sources.add(gpu);
                }
            }
        }
        if (sources.isEmpty()) {
            return;
        }
        for (GpuWork idle : state.gpus) {
            if (isIdle(idle) && nodeRepartitioned(idle)) {
                trade(idle);
            }
        }
        state.commit();
    }

    private boolean isIdle(GpuWork gpu) {
        return gpu.reopenable && !gpu.open && !gpu.hasPlanned() && gpu.runningCount() == 0;
    }

    /** Whether another GPU of the idle GPU's node is repartitioned anyway (MIG Manager reconfigures the node). */
    private boolean nodeRepartitioned(GpuWork idle) {
        for (int g : state.input.nodeGpus[idle.node]) {
            GpuWork gpu = state.gpus[g];
            if (gpu != idle && gpu.open && gpu.openSize > 0 && NodeRepacker.cost(gpu, gpu.openCode)[0] == 1) {
                return true;
            }
        }
        return false;
    }

    /**
     * Opens {@code idle} and gathers replicas onto it, one per stranding GPU, those of one compute slice first (so
     * that up to six fit beside the instance that covers the last slice); undone unless enough slices are covered.
     */
    private void trade(GpuWork idle) {
        int mark = state.mark();
        state.open(idle);
        List<GpuWork> gave = new ArrayList<>();
        int covered = 0;
        boolean room = hasRoom(idle);
        List<GpuWork> candidates = sourcesFor(idle.model);
        for (boolean singleSliceOnly : new boolean[] {true, false}) {
            for (int i = 0; i < candidates.size() && room; i++) {
                GpuWork from = candidates.get(i);
                if (stranded[from.id] > 0 && takeOne(from, idle, singleSliceOnly)) {
                    covered += stranded[from.id];
                    stranded[from.id] = 0;
                    gave.add(from);
                    room = hasRoom(idle);
                }
            }
        }
        if (covered < threshold(idle.model)) {
            state.rollback(mark);
            gave.forEach(gpu -> stranded[gpu.id] = NodeRepacker.cost(gpu, gpu.openCode)[1]);
        }
    }

    /**
     * The slices a trade must cover for one more GPU repartitioned: {@code minSlices} per eight memory slices of the
     * idle GPU, rounded up (6 on an 8-slice GPU and 3 on an A30 by default): an A30 holds at most four replicas, so
     * a threshold of six would never let one take any.
     */
    private int threshold(GpuModel model) {
        return (minSlices * model.memorySlices() + 7) / 8;
    }

    /** Whether an open GPU can take one more instance of some profile and still cover every memory slice. */
    private static boolean hasRoom(GpuWork gpu) {
        for (int p = 0; p < gpu.catalog.profileCount(); p++) {
            if (coversAllWith(gpu, p)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an open GPU's replicas and one more of profile {@code p} fit a layout covering every memory slice. */
    private static boolean coversAllWith(GpuWork gpu, int p) {
        int code = gpu.catalog.plus(gpu.openCode, p);
        return code >= 0 && gpu.catalog.bestCover(code) == gpu.model.memorySlices();
    }

    /**
     * Moves one replica from {@code from} to {@code to} when {@code from} then covers every slice and {@code to}
     * still can.
     */
    private boolean takeOne(GpuWork from, GpuWork to, boolean singleSliceOnly) {
        boolean[] leavesCovered = releasable(from);
        for (int k = 0; k < from.openSize; k++) {
            int p = from.openProfile[k];
            if (!leavesCovered[p] || singleSliceOnly && from.catalog.profile(p).computeSlices() > 1) {
                continue;
            }
            ResolvedDemand demand = state.demand(from.openDemand[k]);
            int target = demand.profileOn(to.model);
            if (target < 0 || !StrandMover.mayMove(state, demand, from.node, to.node)) {
                continue;
            }
            if (!coversAllWith(to, target)) {
                continue;
            }
            state.removeOpen(from, k);
            state.placeOpen(to, demand.id, target);
            return true;
        }
        return false;
    }

    private List<GpuWork> sourcesFor(GpuModel model) {
        List<GpuWork> list = sourcesFor.get(model.ordinal());
        if (list == null) {
            list = new ArrayList<>();
            for (GpuWork gpu : sources) {
                boolean[] leavesCovered = releasable(gpu);
                for (int k = 0; k < gpu.openSize; k++) {
                    if (leavesCovered[gpu.openProfile[k]]
                            && state.demand(gpu.openDemand[k]).profileOn(model) >= 0) {
                        list.add(gpu);
                        break;
                    }
                }
            }
            sourcesFor.set(model.ordinal(), list);
        }
        list.removeIf(gpu -> stranded[gpu.id] == 0);
        return list;
    }

    private boolean[] releasable(GpuWork gpu) {
        if (releasable[gpu.id] == null) {
            boolean[] leavesCovered = new boolean[gpu.catalog.profileCount()];
            for (int p = 0; p < leavesCovered.length; p++) {
                int left = gpu.catalog.count(gpu.openCode, p) > 0 ? gpu.catalog.minus(gpu.openCode, p) : -1;
                leavesCovered[p] = left >= 0 && Arrays.equals(NodeRepacker.cost(gpu, left), new int[] {1, 0});
            }
            releasable[gpu.id] = leavesCovered;
        }
        return releasable[gpu.id];
    }
}
