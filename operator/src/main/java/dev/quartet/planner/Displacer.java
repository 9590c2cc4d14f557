package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Rule 4's last resort: opens a GPU whose running replicas may all move, to place a replica nothing else can
 * hold; replicas this pass planned there are taken off too. The displaced replicas of equal or higher priority must find a new slice at once (possibly by displacing
 * another GPU, up to a short chain), or the whole displacement is rolled back; those of lower priority wait for
 * their turn and may end unsatisfied.
 */
final class Displacer {

    /** Places one replica of a demand without displacing anything; false when there is no room. */
    interface ReplicaPlacer {
        boolean placeOne(int demand);
    }

    private static final int MAX_TRIES = 8;
    /** How many GPUs one placement may displace in a chain (a displaced replica may displace another GPU). */
    private static final int MAX_DEPTH = 3;

    private final PlacementState state;
    private final ReplicaPlacer placer;
    private final List<GpuWork> candidates = new ArrayList<>();
    private final int[] target;
    private final FailedPlacements failed = new FailedPlacements();

    /**
     * With a {@code target} (replicas admission found room for, per demand), a displaced replica must be
     * re-placed only if its demand would fall below its target; without, only if its priority is not lower.
     */
    Displacer(PlacementState state, ReplicaPlacer placer, int[] target) {
        this.state = state;
        this.placer = placer;
        this.target = target;
        for (GpuWork gpu : state.gpus) {
            if (gpu.displaceable) {
                candidates.add(gpu);
            }
        }
        candidates.sort(Comparator.comparingInt(GpuWork::runningCount).thenComparingInt(g -> g.id));
    }

    /** Places one replica of {@code d} by displacing the running replicas of a GPU or a short chain of them. */
    boolean place(int d) {
        return failed.attempt(state.demand(d), () -> place(d, MAX_DEPTH));
    }

    private boolean place(int d, int depth) {
        ResolvedDemand demand = state.demand(d);
        int tries = 0;
        for (GpuWork gpu : candidates) {
            int p = demand.profileOn(gpu.model);
            if (gpu.open || p < 0 || !demand.eligible[gpu.node] || gpu.catalog.plus(0, p) < 0) {
                continue;
            }
            if (tries++ == MAX_TRIES) {
                return false;
            }
            int mark = state.mark();
            int before = state.satisfied[d];
            List<Integer> displaced = new ArrayList<>(state.open(gpu));
            while (gpu.openSize > 0) {
                displaced.add(gpu.openDemand[gpu.openSize - 1]);
                state.removeOpen(gpu, gpu.openSize - 1);
            }
            state.placeOpen(gpu, d, p);
            if (replaceDisplaced(gpu, displaced, demand.priority(), depth - 1) && state.satisfied[d] > before) {
                return true;
            }
            state.rollback(mark);
        }
        return false;
    }

    /** The opened GPU itself is the likeliest home of a displaced replica. */
    private boolean backOnto(GpuWork opened, int d) {
        int p = state.demand(d).profileOn(opened.model);
        if (p >= 0 && state.demand(d).eligible[opened.node] && opened.hasRoom(p)) {
            state.placeOpen(opened, d, p);
            return true;
        }
        return false;
    }

    private boolean replaceDisplaced(GpuWork opened, List<Integer> displaced, int priority, int depth) {
        List<Integer> ordered = displaced.stream()
                .sorted(Comparator.comparingInt(
                                (Integer dd) -> -state.demand(dd).priority())
                        .thenComparing(dd -> dd))
                .toList();
        for (int dd : ordered) {
            boolean urgent =
                    target == null ? state.demand(dd).priority() >= priority : state.satisfied[dd] < target[dd];
            if (urgent && !backOnto(opened, dd) && !placer.placeOne(dd) && !(depth > 0 && place(dd, depth))) {
                return false;
            }
        }
        return true;
    }
}
