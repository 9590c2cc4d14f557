package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Plans MIG layouts and replica placement for the whole cluster: pure and deterministic. Admission (rule 3)
 * decides how many replicas of each demand fit; placement (rules 4-8) puts exactly those; if placement falls
 * short, the best of it and the admission passes' own placements by rules 3, 4, 6 becomes the {@link Plan}.
 */
public final class MigPlanner {

    /**
     * How many times a plan that moves a replica of a demand which also releases one is redone with the moved
     * replicas released first; each round can only swap replicas of demands that have a surplus.
     */
    private static final int MAX_RELEASE_ROUNDS = 2;

    private final Options options;

    /** A planner with the default {@link Options}. */
    public MigPlanner() {
        this(Options.DEFAULT);
    }

    public MigPlanner(Options options) {
        this.options = options;
    }

    /**
     * Planner settings. {@code idleGpuCoverMinSlices}: an idle GPU of a node that is repartitioned anyway is
     * repartitioned too when that lets at least this many stranded memory slices per eight memory slices of that GPU
     * be covered ({@link IdleGpuCover}, docs/planner.md step 6; half, rounded up, for an A30); 0 never does, keeping
     * rule 6 (fewest GPUs repartitioned) strictly above rule 7. Default 6: one more 8-slice GPU for the six replicas
     * it takes off GPUs that would strand a slice, or an A30 for three.
     */
    public record Options(int idleGpuCoverMinSlices) {

        public static final Options DEFAULT = new Options(6);

        public Options {
            if (idleGpuCoverMinSlices < 0) {
                throw new IllegalArgumentException(
                        "idleGpuCoverMinSlices must be 0 (off) or more, not " + idleGpuCoverMinSlices);
            }
        }
    }

    /** Plans; throws {@link IllegalArgumentException} naming the first invalid entry of the input. */
    public Plan plan(ClusterState state, List<Demand> demands) {
        return plan(state, demands, Set.of());
    }

    /**
     * Plans, and where a demand has more running replicas than it asks for, releases the replicas named in
     * {@code releaseFirst} (failing ones, say) before choosing others by spread.
     */
    public Plan plan(ClusterState state, List<Demand> demands, Set<String> releaseFirst) {
        InputValidator.firstProblem(state, demands).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        ClusterState filled = DynamicFill.fill(state, demands);
        PlanInput input = new PlanInput(filled, demands, releaseFirst, options.idleGpuCoverMinSlices());
        Plan plan = plan(input);
        for (int round = 0; round < MAX_RELEASE_ROUNDS; round++) {
            Set<String> swap = input.movedWithSurplus(plan.moved());
            if (swap.isEmpty()) {
                break;
            }
            Set<String> first = new TreeSet<>(input.releaseFirst);
            first.addAll(swap);
            PlanInput retry = new PlanInput(filled, demands, first, options.idleGpuCoverMinSlices());
            Plan other = plan(retry);
            if (!atLeastAsGood(other, plan, retry)) {
                break;
            }
            plan = other;
            input = retry;
        }
        return plan;
    }

    private static boolean atLeastAsGood(Plan a, Plan b, PlanInput input) {
        int cmp = Arrays.compare(satisfaction(a, input), satisfaction(b, input));
        return cmp > 0 || cmp == 0 && !better(b, a);
    }

    private static long[] satisfaction(Plan plan, PlanInput input) {
        int[] perDemand =
                Arrays.stream(input.demands).mapToInt(ResolvedDemand::replicas).toArray();
        for (Unsatisfied unsatisfied : plan.unsatisfied()) {
            int d = input.demandIndex(unsatisfied.demand());
            if (d >= 0) {
                perDemand[d] -= unsatisfied.missing();
            }
        }
        return satisfaction(perDemand, input);
    }

    private static Plan plan(PlanInput input) {
        int[] everything =
                Arrays.stream(input.demands).mapToInt(ResolvedDemand::replicas).toArray();
        PlacementState unplaced = new CapacityPass(new PlacementState(input, true)).run();
        if (compare(unplaced.satisfied, everything, input) >= 0) {
            PlacementState placed = new SpreadPass(new PlacementState(input), everything).run(true);
            if (compare(placed.satisfied, everything, input) >= 0) {
                return fewestMoves(new PlanAssembler(placed).plan(), true, everything, input);
            }
        }
        List<PlacementState> candidates = admissions(input, unplaced);
        PlacementState admitted = candidates.get(0);
        for (PlacementState admission : candidates) {
            admitted = compare(admission.satisfied, admitted.satisfied, input) > 0 ? admission : admitted;
        }
        // In admission's priority order, then largest first: a largest-first admission may fit what placement
        // in priority order cannot.
        List<PlacementState> placements = new ArrayList<>();
        for (boolean largestFirst : new boolean[] {false, true}) {
            PlacementState placed =
                    new SpreadPass(new PlacementState(input), admitted.satisfied.clone()).run(largestFirst);
            if (compare(placed.satisfied, admitted.satisfied, input) >= 0) {
                return fewestMoves(new PlanAssembler(placed).plan(), largestFirst, admitted.satisfied, input);
            }
            placements.add(placed);
        }
        candidates.addAll(0, placements);
        return best(candidates, input);
    }

    /**
     * Rule 4 once placement has reached {@code target} by moving running replicas: placement in the other order,
     * and admission with movable replicas left in place (itself a complete placement), may reach it too while
     * moving fewer. Of those that do, the plan with fewest moves, then fewest repartitions; {@code plan} on ties.
     * Nothing more is tried when {@code plan} moves nothing.
     */
    private static Plan fewestMoves(Plan plan, boolean largestFirst, int[] target, PlanInput input) {
        if (plan.moved().isEmpty()) {
            return plan;
        }
        List<PlacementState> others = new ArrayList<>();
        others.add(new SpreadPass(new PlacementState(input), target.clone()).run(!largestFirst));
        PlacementState kept = new PlacementState(input);
        if (Arrays.stream(kept.gpus).anyMatch(gpu -> gpu.displaceable)) {
            others.add(new CapacityPass(kept).run());
        }
        Plan best = plan;
        for (PlacementState other : others) {
            if (compare(other.satisfied, target, input) >= 0) {
                Plan candidate = new PlanAssembler(other).plan();
                best = better(candidate, best) ? candidate : best;
            }
        }
        return best;
    }

    /** The best plan by rule 3, then rule 4 (fewer moves), then rule 6 (fewer repartitions); first on ties. */
    private static Plan best(List<PlacementState> candidates, PlanInput input) {
        int[] most = candidates.get(0).satisfied;
        for (PlacementState candidate : candidates) {
            most = compare(candidate.satisfied, most, input) > 0 ? candidate.satisfied : most;
        }
        Plan best = null;
        for (PlacementState candidate : candidates) {
            if (compare(candidate.satisfied, most, input) == 0) {
                Plan plan = new PlanAssembler(candidate).plan();
                best = best == null || better(plan, best) ? plan : best;
            }
        }
        return best;
    }

    /**
     * Admission, rule 3 only: with every movable replica treated as unplaced, by priority with the smallest or
     * the least flexible profiles first, or least flexible first across priorities; and without moving anything
     * unless a replica fits nowhere else. Variants that would repeat another exactly are skipped.
     */
    private static List<PlacementState> admissions(PlanInput input, PlacementState unplaced) {
        List<PlacementState> admissions = new ArrayList<>();
        admissions.add(unplaced);
        int[] usual = CapacityPass.order(input.demands, input.keptCount);
        int[] constrained = CapacityPass.constrainedFirst(input.demands, input.keptCount);
        int[] leastFlexible = CapacityPass.leastFlexibleFirst(input.demands, input.keptCount);
        if (!Arrays.equals(usual, constrained)) {
            admissions.add(new CapacityPass(new PlacementState(input, true), constrained).run());
        }
        if (!Arrays.equals(leastFlexible, usual) && !Arrays.equals(leastFlexible, constrained)) {
            admissions.add(new CapacityPass(new PlacementState(input, true), leastFlexible).run());
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

    /** Between plans satisfying as many: rule 4 (fewer moves), then rule 6 (fewer repartitions). */
    private static boolean better(Plan a, Plan b) {
        if (a.moved().size() != b.moved().size()) {
            return a.moved().size() < b.moved().size();
        }
        return repartitions(a) < repartitions(b);
    }

    private static long repartitions(Plan plan) {
        return plan.gpus().stream().filter(GpuPlan::repartition).count();
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
