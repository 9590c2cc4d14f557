package dev.quartet.planner;

import static dev.quartet.planner.Clusters.cluster;
import static dev.quartet.planner.Clusters.demand;
import static dev.quartet.planner.Clusters.foreign;
import static dev.quartet.planner.Clusters.movable;
import static dev.quartet.planner.Clusters.movableDemand;
import static dev.quartet.planner.Clusters.node;
import static dev.quartet.planner.Clusters.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner on dynamic GPUs (NVIDIA's DRA driver): free placements of a GPU in use are used at once. */
class DynamicMigPlannerTest {

    private static GpuState dra(int index, InstanceState... inUse) {
        return new GpuState(index, GpuModel.A30, Arrays.asList(inUse), false, true);
    }

    private static Plan plan(ClusterState state, Demand... demands) {
        return new MigPlanner().plan(state, List.of(demands));
    }

    @Test
    void freePlacementsOfAGpuInUseTakeNewReplicasAtOnce() {
        // MIG Manager would have to drain the GPU to add a 2g beside a running 1g; with DRA it is a claim
        Plan plan = plan(
                cluster(node("n", dra(0, running("1g.6gb", 0, "small", "0")))),
                demand("small", "1g.6gb", 2),
                demand("medium", "2g.12gb", 1));

        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(plan.moved()).isEmpty();
        assertThat(plan.assignments())
                .extracting(a -> a.demand() + " " + a.profile() + "@" + a.start() + (a.existing() ? " kept" : ""))
                .containsExactlyInAnyOrder("small 1g.6gb@0 kept", "small 1g.6gb@1", "medium 2g.12gb@2");
        assertThat(plan.gpus()).allMatch(g -> !g.repartition());
    }

    @Test
    void anIdleDynamicGpuIsOpenedForWhatTheDemandsNeed() {
        Plan plan = plan(cluster(node("n", dra(0))), demand("big", "4g.24gb", 1));

        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(plan.assignments()).singleElement().satisfies(a -> {
            assertThat(a.profile()).isEqualTo("4g.24gb");
            assertThat(a.start()).isZero();
        });
    }

    @Test
    void replicasThatMayNotMoveAreNeverTouched() {
        // the #933 gap: two free slices at 0 and 3, no 2g placement; the replicas at 1 and 2 may not move
        Plan plan = plan(
                cluster(node("n", dra(0, running("1g.6gb", 1, "small", "0"), running("1g.6gb", 2, "small", "1")))),
                demand("small", "1g.6gb", 2),
                demand("medium", "2g.12gb", 1));

        assertThat(plan.moved()).isEmpty();
        assertThat(plan.unsatisfied())
                .singleElement()
                .satisfies(u -> assertThat(u.demand()).isEqualTo("medium"));
    }

    @Test
    void aMovableReplicaMovesSoThatALargerProfileFits() {
        // GPU 0 has only a movable 1g at slot 1; GPU 1 has room for exactly one 1g (slot 3): moving it lets a 4g fit
        Plan plan = plan(
                cluster(node(
                        "n",
                        dra(0, movable("1g.6gb", 1, "small", "0")),
                        dra(1, foreign("2g.12gb", 0, "other/a"), foreign("1g.6gb", 2, "other/b")))),
                movableDemand("small", "1g.6gb", 1, 0),
                demand("big", "4g.24gb", 1));

        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(plan.moved()).containsExactly("small-0");
        assertThat(plan.assignments())
                .extracting(a -> a.demand() + " " + a.gpu() + ":" + a.profile() + "@" + a.start())
                .containsExactlyInAnyOrder("small 1:1g.6gb@3", "big 0:4g.24gb@0");
    }

    @Test
    void aMigManagerGpuInUseStillKeepsItsLayout() {
        // the same 1g on a GPU of MIG Manager, whose layout is just that 1g plus free 1g slices: no 2g without a drain
        Plan plan = plan(
                cluster(node(
                        "n",
                        new GpuState(
                                0,
                                GpuModel.A30,
                                List.of(
                                        running("1g.6gb", 0, "small", "0"),
                                        InstanceState.free("1g.6gb", 1),
                                        InstanceState.free("1g.6gb", 2),
                                        InstanceState.free("1g.6gb", 3))))),
                demand("small", "1g.6gb", 1),
                demand("medium", "2g.12gb", 1));

        assertThat(plan.unsatisfied())
                .singleElement()
                .satisfies(u -> assertThat(u.demand()).isEqualTo("medium"));
    }

    /** The churn state in which the operator moved a replica and released its replacement, pass after pass. */
    private static ClusterState churnState(InstanceState... gpu1) {
        return cluster(node(
                "n",
                dra(
                        0,
                        movable("1g.6gb", 0, "b/r0", "0"),
                        movable("2g.12gb", 2, "b/r1", "0"),
                        movable("1g.6gb", 1, "b/r2", "0")),
                dra(1, gpu1)));
    }

    private static final List<Demand> CHURN = List.of(
            movableDemand("b/r0", "1g.6gb", 1, 0),
            movableDemand("b/r1", "2g.12gb", 1, 0),
            movableDemand("b/r2", "1g.6gb", 1, 0),
            movableDemand("b/r4", "4g.24gb", 1, 0),
            movableDemand("b/r5", "2g.12gb", 1, 0),
            movableDemand("b/r6", "1g.6gb", 1, 0),
            movableDemand("b/r7", "2g.12gb", 1, 0));

    @Test
    void aDisplacedReplicaStaysWhereTheNewLayoutStillHoldsItsInstance() {
        // GPU 1 gets 1g@0 + 1g@1 + 2g@2 for the 1g arrival; the 2g at 2 is in that layout and its claim is untouched
        Plan plan = new MigPlanner().plan(churnState(movable("2g.12gb", 2, "b/r5", "1")), CHURN);

        assertThat(plan.moved()).isEmpty();
        assertThat(plan.assignments())
                .filteredOn(a -> a.demand().equals("b/r5"))
                .singleElement()
                .satisfies(a -> assertThat(a.replica()).isEqualTo("b/r5-1"));
    }

    @Test
    void aMovesReplacementIsNotReleasedWhileTheMoveIsInFlight() {
        // b/r5-0 was moved; its replacement b/r5-1 has its claim allocated, so b/r5 runs one replica too many
        ClusterState state = churnState(movable("2g.12gb", 0, "b/r5", "0"), movable("2g.12gb", 2, "b/r5", "1"));
        Set<String> inFlight = Set.of("b/r5-0");

        Plan plan = new MigPlanner().plan(state, CHURN, inFlight);

        assertThat(plan.released()).containsExactly("b/r5-0");
        assertThat(plan.moved()).isEmpty();
        assertThat(MovesInFlight.after(inFlight, plan)).containsExactly("b/r5-0");
    }

    @Test
    void aMoveIsInFlightUntilAPlanKeepsTheReplicaOrItIsGone() {
        Plan moves = new MigPlanner()
                .plan(
                        cluster(node(
                                "n",
                                dra(0, movable("1g.6gb", 1, "small", "0")),
                                dra(1, foreign("2g.12gb", 0, "other/a"), foreign("1g.6gb", 2, "other/b")))),
                        List.of(movableDemand("small", "1g.6gb", 1, 0), demand("big", "4g.24gb", 1)));
        assertThat(MovesInFlight.after(Set.of(), moves)).containsExactly("small-0");

        Plan keeps = new MigPlanner()
                .plan(
                        cluster(node("n", dra(0, movable("1g.6gb", 1, "small", "0")))),
                        List.of(movableDemand("small", "1g.6gb", 1, 0)),
                        Set.of("small-0"));
        assertThat(keeps.moved()).isEmpty();
        assertThat(MovesInFlight.after(Set.of("small-0"), keeps)).isEmpty();
    }
}
