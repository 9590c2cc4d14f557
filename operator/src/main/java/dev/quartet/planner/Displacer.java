package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Rule 4's last resort: opens a GPU whose running replicas may all move, to place a replica nothing else can
 * hold. The displaced replicas of equal or higher priority must find a new slice at once, or the displacement
 * is rolled back; those of lower priority wait for their turn and may end unsatisfied.
 */
final class Displacer {

    /** Places one replica of a demand without displacing anything; false when there is no room. */
    interface ReplicaPlacer {
        boolean placeOne(int demand);
    }

    private static final int MAX_TRIES = 8;

    private final PlacementState state;
    private final ReplicaPlacer placer;
    private final List<GpuWork> candidates = new ArrayList<>();

    Displacer(PlacementState state, ReplicaPlacer placer) {
        this.state = state;
        this.placer = placer;
        for (GpuWork gpu : state.gpus) {
            if (gpu.displaceable) {
                candidates.add(gpu);
            }
        }
        candidates.sort(Comparator.comparingInt(GpuWork::runningCount).thenComparingInt(g -> g.id));
    }

    /** Places one replica of {@code d} by displacing the running replicas of one GPU; false if none works. */
    boolean place(int d) {
        ResolvedDemand demand = state.demand(d);
        int tries = 0;
        for (GpuWork gpu : candidates) {
            int p = demand.profileOn(gpu.model);
            if (gpu.open || p < 0 || !demand.eligible[gpu.node] || !gpu.roomAfterOpening(p)) {
                continue;
            }
            if (tries++ == MAX_TRIES) {
                return false;
            }
            int mark = state.mark();
            List<Integer> displaced = state.open(gpu);
            state.placeOpen(gpu, d, p);
            if (replaceDisplaced(displaced, demand.priority())) {
                return true;
            }
            state.rollback(mark);
        }
        return false;
    }

    private boolean replaceDisplaced(List<Integer> displaced, int priority) {
        List<Integer> urgent = displaced.stream().filter(dd -> state.demand(dd).priority() >= priority)
                .sorted(Comparator.comparingInt((Integer dd) -> -state.demand(dd).priority()).thenComparing(dd -> dd))
                .toList();
        for (int dd : urgent) {
            if (!placer.placeOne(dd)) {
                return false;
            }
        }
        return true;
    }
}
