package dev.quartet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.NodeReadiness;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.QuickFit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The admission webhook's shortcut is sound: whenever {@link QuickFit} says a new deployment fits in what the last
 * plan leaves free, planning the cluster with it added satisfies all its replicas.
 */
class QuickFitTest {

    private static final List<String> A30_PROFILES = List.of("1g.6gb", "1g.6gb", "2g.12gb", "4g.24gb");

    @Test
    void aYesIsAlwaysConfirmedByThePlanner() {
        int yes = 0;
        for (long seed = 0; seed < 400; seed++) {
            yes += confirmed(seed) ? 1 : 0;
        }
        assertThat(yes).as("plans answered yes").isGreaterThan(20);
    }

    /** Whether QuickFit said yes for this seed (and if so, that the planner agreed). */
    private static boolean confirmed(long seed) {
        RandomClusters input = new RandomClusters(seed, RandomClusters.small(List.of(GpuModel.A30)));
        MigPlanner planner = new MigPlanner();
        Plan plan = planner.plan(input.state, input.demands);
        Random random = new Random(seed);
        Demand added = new Demand(
                "new/deployment",
                A30_PROFILES.get(random.nextInt(A30_PROFILES.size())),
                null,
                1 + random.nextInt(3),
                random.nextInt(3) - 1,
                null,
                false,
                random.nextBoolean() ? Placement.SPREAD : Placement.PACK,
                null);
        if (!QuickFit.fits(added, inputOf(input.state), plan, 0)) {
            return false;
        }
        List<Demand> all = new ArrayList<>(input.demands);
        all.add(added);
        Plan with = planner.plan(input.state, all);
        assertThat(with.unsatisfied())
                .as("seed " + seed)
                .noneMatch(u -> u.demand().equals(added.name()));
        return true;
    }

    @Test
    void itSaysYesWhereRoomIsPlainAndNoWhereTheRoomIsTakenOrTheNodeIsNotReady() {
        ClusterState state = Clusters.cluster(
                Clusters.node(
                        "n1",
                        Clusters.a30(
                                0,
                                InstanceState.free("2g.12gb", 0),
                                InstanceState.free("1g.6gb", 2),
                                InstanceState.free("1g.6gb", 3))),
                Clusters.node(
                        "n2",
                        Clusters.a30(
                                0,
                                InstanceState.free("1g.6gb", 0),
                                InstanceState.free("1g.6gb", 1),
                                InstanceState.free("2g.12gb", 2))));
        Demand taken = Demand.ofProfile("a/taken", "1g.6gb", 3, 0);
        Plan plan = new MigPlanner().plan(state, List.of(taken));
        PlanningInput ready = inputOf(state);

        assertThat(QuickFit.fits(Demand.ofProfile("b/one", "1g.6gb", 1, 0), ready, plan, 0))
                .isTrue();
        assertThat(QuickFit.fits(Demand.ofProfile("b/two", "1g.6gb", 2, 0), ready, plan, 0))
                .isFalse();
        assertThat(QuickFit.fits(Demand.ofProfile("b/spread", "2g.12gb", 2, 0), ready, plan, 0))
                .isTrue();
        assertThat(QuickFit.fits(Demand.ofProfile("b/unplanned", "1g.6gb", 1, 0), ready, plan, 1))
                .isFalse();
        PlanningInput n2Cordoned = new PlanningInput(
                Map.of(),
                new Inventory(
                        state,
                        Map.of(),
                        Map.of("n1", NodeReadiness.READY, "n2", NodeReadiness.CORDONED),
                        Map.of(),
                        Set.of(),
                        Map.of(),
                        Map.of(),
                        Map.of(),
                        Map.of()),
                Set.of(),
                Map.of(),
                Map.of());
        assertThat(QuickFit.fits(Demand.ofProfile("b/spread", "2g.12gb", 2, 0), n2Cordoned, plan, 0))
                .isFalse();
    }

    private static PlanningInput inputOf(ClusterState state) {
        Map<String, NodeReadiness> readiness = new TreeMap<>();
        state.nodes().forEach(n -> readiness.put(n.name(), NodeReadiness.READY));
        return new PlanningInput(
                Map.of(),
                new Inventory(state, Map.of(), readiness, Map.of(), Set.of(), Map.of(), Map.of(), Map.of(), Map.of()),
                Set.of(),
                Map.of(),
                Map.of());
    }
}
