package dev.quartet.planner;

import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Plans MIG layouts and replica placement for the whole cluster: pure and deterministic. Admission first
 * decides how many replicas of each demand fit (rule 3), placement then puts exactly those where rules 4-8
 * want them; the better of the two by rule 3 becomes the {@link Plan}.
 */
public final class MigPlanner {

    /** Plans; throws {@link IllegalArgumentException} naming the first invalid entry of the input. */
    public Plan plan(ClusterState state, List<Demand> demands) {
        InputValidator.firstProblem(state, demands).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        PlanInput input = new PlanInput(state, demands);
        PlacementState admitted = new CapacityPass(new PlacementState(input)).run();
        int[] target = admitted.satisfied.clone();
        PlacementState best = new SpreadPass(new PlacementState(input)).run(target, true);
        if (compare(best, admitted) < 0) {
            PlacementState byPriority = new SpreadPass(new PlacementState(input)).run(target, false);
            best = compare(byPriority, best) > 0 ? byPriority : best;
        }
        if (compare(best, admitted) < 0) {
            best = admitted;
        }
        return new PlanAssembler(best).plan();
    }

    /** Compares by rule 3: replicas satisfied per priority, highest priority first. */
    static int compare(PlacementState a, PlacementState b) {
        return Arrays.compare(satisfaction(a), satisfaction(b));
    }

    private static long[] satisfaction(PlacementState state) {
        TreeMap<Integer, Long> byPriority = new TreeMap<>();
        for (ResolvedDemand demand : state.input.demands) {
            byPriority.merge(-demand.priority(), (long) state.satisfied[demand.id], Long::sum);
        }
        return byPriority.values().stream().mapToLong(Long::longValue).toArray();
    }
}
