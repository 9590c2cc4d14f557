package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;

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
        List<PlacementState> admissions = admissions(input);
        PlacementState admitted = admissions.get(0);
        for (PlacementState admission : admissions) {
            if (compare(admission.satisfied, admitted.satisfied, input) > 0) {
                admitted = admission;
            }
        }
        int[] target = admitted.satisfied.clone();
        List<Supplier<PlacementState>> attempts = new ArrayList<>();
        attempts.add(() -> new SpreadPass(new PlacementState(input), target).run(true));
        attempts.add(() -> new SpreadPass(new PlacementState(input), target).run(false));
        admissions.forEach(admission -> attempts.add(() -> admission));
        Plan best = null;
        for (Supplier<PlacementState> attempt : attempts) {
            PlacementState placed = attempt.get();
            Plan candidate = new PlanAssembler(placed).plan();
            if (best == null || better(candidate, best, input)) {
                best = candidate;
            }
            if (compare(placed.satisfied, target, input) >= 0) {
                break;
            }
        }
        return best;
    }

    /**
     * Admission, rule 3 only: with every movable replica treated as unplaced, smallest profiles first and least
     * flexible first; and without moving anything unless a replica fits nowhere else. Variants that would repeat
     * another exactly are skipped.
     */
    private static List<PlacementState> admissions(PlanInput input) {
        List<PlacementState> admissions = new ArrayList<>();
        admissions.add(new CapacityPass(new PlacementState(input, true)).run());
        if (!Arrays.equals(CapacityPass.order(input.demands, input.keptCount),
                CapacityPass.constrainedFirst(input.demands, input.keptCount))) {
            admissions.add(new CapacityPass(new PlacementState(input, true), true).run());
        }
        PlacementState kept = new PlacementState(input);
        if (Arrays.stream(kept.gpus).anyMatch(gpu -> gpu.displaceable)) {
            admissions.add(new CapacityPass(kept).run());
        }
        return admissions;
    }

    private static int compare(int[] a, int[] b, PlanInput input) {
        return Arrays.compare(satisfaction(a, input), satisfaction(b, input));
    }

    /** Rule 3 (replicas per priority, highest first), then rule 4 (fewer moves), then rule 6 (repartitions). */
    private static boolean better(Plan a, Plan b, PlanInput input) {
        int bySatisfaction = Arrays.compare(satisfaction(a, input), satisfaction(b, input));
        if (bySatisfaction != 0) {
            return bySatisfaction > 0;
        }
        if (a.moved().size() != b.moved().size()) {
            return a.moved().size() < b.moved().size();
        }
        return repartitions(a) < repartitions(b);
    }

    private static long repartitions(Plan plan) {
        return plan.gpus().stream().filter(GpuPlan::repartition).count();
    }

    private static long[] satisfaction(Plan plan, PlanInput input) {
        int[] counts = new int[input.demands.length];
        plan.assignments().forEach(a -> counts[input.demandIndex(a.demand())]++);
        return satisfaction(counts, input);
    }

    /** Replicas per priority, highest priority first. */
    private static long[] satisfaction(int[] perDemand, PlanInput input) {
        TreeMap<Integer, Long> byPriority = new TreeMap<>();
        for (ResolvedDemand demand : input.demands) {
            byPriority.merge(-demand.priority(), (long) perDemand[demand.id], Long::sum);
        }
        return byPriority.values().stream().mapToLong(Long::longValue).toArray();
    }
}
