package dev.quartet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The planner in the loop the operator runs on a node of NVIDIA's DRA driver, under the bench's churn (2 A30s,
 * arrivals and departures of one movable replica each): after each pass every new replica whose placement is free
 * runs at once (its claim is allocated), released replicas go, and a moved replica whose replacement cannot start
 * goes. Every event must settle, and no plan may move a replica onto the very instance it holds.
 */
class DraChurnSettlesTest {

    private static final String[] PROFILES = {"1g.6gb", "2g.12gb", "4g.24gb"};
    private static final int PASSES = 12;

    @Test
    void everyEventOfAChurnSettlesWithoutMovingAReplicaInPlace() {
        for (long seed = 1; seed <= 6; seed++) {
            churn(seed);
        }
    }

    private static void churn(long seed) {
        Random random = new Random(seed);
        Map<Integer, List<InstanceState>> inUse = new TreeMap<>(Map.of(0, new ArrayList<>(), 1, new ArrayList<>()));
        List<Demand> demands = new ArrayList<>();
        Set<String> inFlight = Set.of();
        MigPlanner planner = new MigPlanner();
        for (int step = 0; step < 80; step++) {
            if (step < 6 || demands.isEmpty() || random.nextInt(100) < 55) {
                int r = random.nextInt(100);
                String profile = PROFILES[r < 50 ? 0 : r < 85 ? 1 : 2];
                demands.add(new Demand("b/r" + step, profile, null, 1, 0, null, true, Placement.SPREAD, null));
            } else {
                Demand gone = demands.remove(random.nextInt(demands.size()));
                inUse.values().forEach(l -> l.removeIf(i -> gone.name().equals(i.demand())));
            }
            boolean settled = false;
            for (int pass = 0; pass < PASSES && !settled; pass++) {
                Plan plan = planner.plan(state(inUse), demands, inFlight);
                inFlight = MovesInFlight.after(inFlight, plan);
                assertNoMoveInPlace(inUse, plan, "seed " + seed + " step " + step);
                settled = !apply(inUse, plan);
            }
            assertThat(settled)
                    .as("seed %d step %d settles within %d passes", seed, step, PASSES)
                    .isTrue();
        }
    }

    /** Carries a plan out as the operator does on a DRA node; whether anything changed. */
    private static boolean apply(Map<Integer, List<InstanceState>> inUse, Plan plan) {
        boolean changed = false;
        for (String released : plan.released()) {
            changed |= inUse.values().stream().anyMatch(l -> l.removeIf(i -> released.equals(i.replica())));
        }
        Set<String> started = new HashSet<>();
        for (Assignment a : plan.assignments()) {
            List<InstanceState> gpu = inUse.get(a.gpu());
            if (!a.existing() && gpu.stream().noneMatch(o -> overlaps(o, a.profile(), a.start()))) {
                gpu.add(new InstanceState(a.profile(), a.start(), freeName(inUse, a.demand()), a.demand(), true));
                started.add(a.demand());
                changed = true;
            }
        }
        for (String moved : plan.moved()) {
            if (!started.contains(moved.substring(0, moved.lastIndexOf('-')))) {
                changed |= inUse.values().stream().anyMatch(l -> l.removeIf(i -> moved.equals(i.replica())));
            }
        }
        return changed;
    }

    private static void assertNoMoveInPlace(Map<Integer, List<InstanceState>> inUse, Plan plan, String where) {
        inUse.forEach((gpu, instances) -> instances.stream()
                .filter(i -> plan.moved().contains(i.replica()))
                .forEach(i -> assertThat(plan.assignments())
                        .as("%s: %s is moved onto the instance it holds", where, i.replica())
                        .noneMatch(a -> !a.existing()
                                && a.demand().equals(i.demand())
                                && a.gpu() == gpu
                                && a.start() == i.start()
                                && a.profile().equals(i.profile()))));
    }

    private static boolean overlaps(InstanceState o, String profile, int start) {
        int size = GpuModel.A30.requireProfile(profile).memorySlices();
        int other = GpuModel.A30.requireProfile(o.profile()).memorySlices();
        return o.start() < start + size && start < o.start() + other;
    }

    private static String freeName(Map<Integer, List<InstanceState>> inUse, String demand) {
        Set<String> names = new HashSet<>();
        inUse.values().forEach(l -> l.forEach(i -> names.add(i.replica())));
        int ordinal = 0;
        while (names.contains(demand + "-" + ordinal)) {
            ordinal++;
        }
        return demand + "-" + ordinal;
    }

    private static ClusterState state(Map<Integer, List<InstanceState>> inUse) {
        List<GpuState> gpus = new ArrayList<>();
        inUse.forEach((index, instances) -> gpus.add(new GpuState(index, GpuModel.A30, instances, false, true)));
        return new ClusterState(List.of(new NodeState("n", gpus, false)));
    }
}
