package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rule 7 across the GPUs of a node, after placement. An 8-slice GPU whose multiset uses every compute slice with
 * profiles that cover one memory slice per compute slice (7 x 1g, or 4g + 3 x 1g) must leave its last memory
 * slice uncovered; traded with a GPU of the same node holding a profile that covers more slices than it computes
 * on (1g.20gb, 3g.40gb), both layouts can cover every slice. So the new replicas of two repartitioned GPUs of
 * one model and node, one of which strands a slice, are shared out again when another split repartitions fewer
 * GPUs (rule 6: a GPU left with nothing is not repartitioned) or as many and strands fewer slices. Each demand
 * keeps its replicas per node (rules 3-5); only the spread over a node's GPUs (rule 8, the lowest) may change.
 * Displaced GPUs (whose running replicas may stay in place) are left as they are.
 */
final class NodeRepacker {

    /** Rounds over a node's pairs of GPUs; every change lowers the node's (repartitions, stranded slices). */
    private static final int MAX_ROUNDS = 8;

    private final PlacementState state;

    NodeRepacker(PlacementState state) {
        this.state = state;
    }

    void run() {
        for (int[] nodeGpus : state.input.nodeGpus) {
            GpuWork[] open = openGpus(nodeGpus);
            if (open.length < 2 || stranded(open) == 0) {
                continue;
            }
            boolean changed = true;
            for (int round = 0; round < MAX_ROUNDS && changed; round++) {
                changed = false;
                for (int a = 0; a < open.length; a++) {
                    for (int b = a + 1; b < open.length; b++) {
                        if (open[a].open
                                && open[b].open
                                && open[a].model == open[b].model
                                && improve(open[a], open[b])) {
                            changed = true;
                        }
                    }
                }
            }
        }
        state.commit();
    }

    private GpuWork[] openGpus(int[] nodeGpus) {
        return Arrays.stream(nodeGpus)
                .mapToObj(g -> state.gpus[g])
                .filter(gpu -> gpu.open && !gpu.displaced && gpu.openSize > 0)
                .toArray(GpuWork[]::new);
    }

    private static int stranded(GpuWork[] gpus) {
        int stranded = 0;
        for (GpuWork gpu : gpus) {
            stranded += cost(gpu, gpu.openCode)[1];
        }
        return stranded;
    }

    /**
     * What a GPU holding multiset {@code code} costs once assembled ({@link LayoutFiller#choose}): whether it is
     * repartitioned, and the memory slices its layout leaves uncovered. Nothing planned: neither.
     */
    static int[] cost(GpuWork gpu, int code) {
        LayoutCatalog catalog = gpu.catalog;
        if (code == 0) {
            return new int[] {0, 0};
        }
        if (LayoutFiller.keepsCurrent(gpu, code)) {
            return new int[] {0, gpu.model.memorySlices() - catalog.slicesUsed(gpu.current.code())};
        }
        return new int[] {1, gpu.model.memorySlices() - catalog.bestCover(code)};
    }

    /**
     * Tries every split of the two GPUs' multisets between them that legal layouts hold; takes the one with
     * fewest repartitions, then fewest stranded slices, if it is better than the current split by that order.
     */
    private boolean improve(GpuWork a, GpuWork b) {
        LayoutCatalog catalog = a.catalog;
        int profiles = catalog.profileCount();
        int[] union = new int[profiles];
        for (int p = 0; p < profiles; p++) {
            union[p] = catalog.count(a.openCode, p) + catalog.count(b.openCode, p);
        }
        int[] now = sum(cost(a, a.openCode), cost(b, b.openCode));
        if (now[1] == 0) {
            return false;
        }
        int[] best = now;
        int bestCode = -1;
        int[] counts = new int[profiles];
        int[] others = new int[profiles];
        while (true) {
            for (int p = 0; p < profiles; p++) {
                others[p] = union[p] - counts[p];
            }
            int code = catalog.codeOf(counts);
            int rest = catalog.codeOf(others);
            if (code != a.openCode && catalog.isFeasible(code) && catalog.isFeasible(rest)) {
                int[] split = sum(cost(a, code), cost(b, rest));
                if (split[0] <= now[0] && Arrays.compare(split, best) < 0) {
                    best = split;
                    bestCode = code;
                }
            }
            int p = 0;
            while (p < profiles && counts[p] == union[p]) {
                counts[p] = 0;
                p++;
            }
            if (p == profiles) {
                break;
            }
            counts[p]++;
        }
        if (bestCode < 0) {
            return false;
        }
        List<int[]> toB = new ArrayList<>();
        List<int[]> toA = new ArrayList<>();
        for (int p = 0; p < profiles; p++) {
            int shift = catalog.count(a.openCode, p) - catalog.count(bestCode, p);
            for (int i = 0; i < shift; i++) {
                toB.add(new int[] {takeOne(a, b, p), p});
            }
            for (int i = 0; i < -shift; i++) {
                toA.add(new int[] {takeOne(b, a, p), p});
            }
        }
        toB.forEach(item -> state.placeOpen(b, item[0], item[1]));
        toA.forEach(item -> state.placeOpen(a, item[0], item[1]));
        for (GpuWork gpu : new GpuWork[] {a, b}) {
            if (gpu.openSize == 0) {
                state.close(gpu);
            }
        }
        return true;
    }

    private static int[] sum(int[] x, int[] y) {
        return new int[] {x[0] + y[0], x[1] + y[1]};
    }

    /**
     * Takes one replica of profile {@code p} off a GPU, to go to the other: of the demand with most replicas on
     * the source compared with the target (rule 8), the lowest demand index on ties. Returns its demand.
     */
    private int takeOne(GpuWork from, GpuWork to, int p) {
        int pick = -1;
        int pickScore = Integer.MIN_VALUE;
        for (int k = 0; k < from.openSize; k++) {
            if (from.openProfile[k] != p) {
                continue;
            }
            int d = from.openDemand[k];
            int score = from.count(d) - to.count(d);
            if (score > pickScore || score == pickScore && d < from.openDemand[pick]) {
                pick = k;
                pickScore = score;
            }
        }
        int d = from.openDemand[pick];
        state.removeOpen(from, pick);
        return d;
    }
}
