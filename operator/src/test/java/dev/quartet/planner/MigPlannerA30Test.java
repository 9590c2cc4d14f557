package dev.quartet.planner;

import static dev.quartet.planner.Clusters.a30;
import static dev.quartet.planner.Clusters.cluster;
import static dev.quartet.planner.Clusters.count;
import static dev.quartet.planner.Clusters.demand;
import static dev.quartet.planner.Clusters.free;
import static dev.quartet.planner.Clusters.layout;
import static dev.quartet.planner.Clusters.movable;
import static dev.quartet.planner.Clusters.movableDemand;
import static dev.quartet.planner.Clusters.node;
import static dev.quartet.planner.Clusters.plan;
import static dev.quartet.planner.Clusters.running;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The A30 cases of NVIDIA's MIG user guide: the five full layouts, the slot 1+2 trap, a 4g that needs a whole GPU. */
class MigPlannerA30Test {

    private static final ClusterState ONE_EMPTY_A30 = cluster(node("a", a30(0)));

    @Test
    void oneWholeInstance() {
        Plan plan = plan(ONE_EMPTY_A30, demand("ns/big", "4g.24gb", 1));
        assertThat(layout(plan, "a", 0)).isEqualTo("[4g.24gb@0]");
        assertThat(plan.gpus().get(0).repartition()).isTrue();
        assertThat(plan.assignments()).containsExactly(new Assignment("ns/big", "a", 0, "4g.24gb", 0, false, null));
    }

    @Test
    void twoHalves() {
        Plan plan = plan(ONE_EMPTY_A30, demand("ns/half", "2g.12gb", 2));
        assertThat(layout(plan, "a", 0)).isEqualTo("[2g.12gb@0, 2g.12gb@2]");
        assertThat(count(plan, "ns/half")).isEqualTo(2);
    }

    @Test
    void twoQuartersAndAHalfNeverInTheTrap() {
        Plan plan = plan(ONE_EMPTY_A30, demand("ns/small", "1g.6gb", 2), demand("ns/half", "2g.12gb", 1));
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 2g.12gb@2]");
        assertThat(plan.unsatisfied()).isEmpty();
    }

    @Test
    void aHalfAndTwoQuartersOnAnExistingLayoutKeepIt() {
        ClusterState state = cluster(node("a", a30(0, free("2g.12gb", 0), free("1g.6gb", 2), free("1g.6gb", 3))));
        Plan plan = plan(state, demand("ns/small", "1g.6gb", 2), demand("ns/half", "2g.12gb", 1));
        assertThat(layout(plan, "a", 0)).isEqualTo("[2g.12gb@0, 1g.6gb@2, 1g.6gb@3]");
        assertThat(plan.gpus().get(0).repartition()).isFalse();
        assertThat(plan.unsatisfied()).isEmpty();
    }

    @Test
    void fourQuarters() {
        Plan plan = plan(ONE_EMPTY_A30, demand("ns/small", "1g.6gb", 4));
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
        assertThat(count(plan, "ns/small")).isEqualTo(4);
    }

    @Test
    void aRepartitionedGpuIsFilledForTheMostRequestedProfile() {
        Plan plan = plan(ONE_EMPTY_A30, demand("ns/half", "2g.12gb", 1));
        assertThat(layout(plan, "a", 0)).isEqualTo("[2g.12gb@0, 2g.12gb@2]");
    }

    @Test
    void aRepartitionedGpuIsFilledForAnUnsatisfiedDemandFirst() {
        ClusterState state = cluster(node("a", a30(0)), node("b", a30(0, running("4g.24gb", 0, "ns/big", "0"))));
        Plan plan = plan(
                state,
                demand("ns/half", "2g.12gb", 1),
                Clusters.demand("ns/big", "4g.24gb", 1),
                Clusters.onNodes("ns/small", "1g.6gb", 2, "b"));
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 2g.12gb@2]");
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/small", 2, UnsatisfiedReason.InsufficientSlices));
    }

    @Test
    void theTrapBlocksAHalfAndSaysWhy() {
        ClusterState state = cluster(node(
                "a",
                a30(
                        0,
                        free("1g.6gb", 0),
                        running("1g.6gb", 1, "ns/small", "0"),
                        running("1g.6gb", 2, "ns/small", "1"),
                        free("1g.6gb", 3))));
        Plan plan = plan(state, demand("ns/small", "1g.6gb", 4), demand("ns/half", "2g.12gb", 1));
        assertThat(plan.gpus().get(0).repartition()).isFalse();
        assertThat(count(plan, "ns/small"))
                .as("the free quarters still take replicas")
                .isEqualTo(4);
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/half", 1, UnsatisfiedReason.InsufficientSlices));
        Plan fewer = plan(state, demand("ns/small", "1g.6gb", 2), demand("ns/half", "2g.12gb", 1));
        assertThat(fewer.unsatisfied())
                .containsExactly(new Unsatisfied("ns/half", 1, UnsatisfiedReason.BlockedByRunningReplicas));
    }

    @Test
    void aWholeInstanceGoesToTheFreeGpu() {
        ClusterState state = cluster(node(
                "a",
                a30(0, running("1g.6gb", 0, "ns/small", "0"), free("1g.6gb", 1), free("1g.6gb", 2), free("1g.6gb", 3)),
                a30(1, free("2g.12gb", 0), free("2g.12gb", 2))));
        Plan plan = plan(state, demand("ns/small", "1g.6gb", 1), demand("ns/big", "4g.24gb", 1));
        assertThat(layout(plan, "a", 1)).isEqualTo("[4g.24gb@0]");
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
        assertThat(plan.moved()).isEmpty();
    }

    @Test
    void aWholeInstanceWithoutAFreeGpuIsShort() {
        ClusterState state = cluster(node(
                "a",
                a30(0, running("1g.6gb", 0, "ns/small", "0"), free("1g.6gb", 1), free("1g.6gb", 2), free("1g.6gb", 3)),
                a30(1, running("2g.12gb", 0, "ns/half", "0"), free("2g.12gb", 2))));
        Plan plan = plan(
                state,
                demand("ns/small", "1g.6gb", 1),
                demand("ns/half", "2g.12gb", 1),
                demand("ns/big", "4g.24gb", 1));
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/big", 1, UnsatisfiedReason.InsufficientSlices));
        assertThat(Clusters.repartitioned(plan)).isZero();
    }

    @Test
    void aMovableReplicaMovesToFreeAWholeGpu() {
        ClusterState state = cluster(
                node(
                        "a",
                        a30(
                                0,
                                movable("1g.6gb", 0, "ns/small", "0"),
                                free("1g.6gb", 1),
                                free("1g.6gb", 2),
                                free("1g.6gb", 3))),
                node(
                        "b",
                        a30(
                                0,
                                running("1g.6gb", 0, "ns/pinned", "0"),
                                free("1g.6gb", 1),
                                free("1g.6gb", 2),
                                free("1g.6gb", 3))));
        Plan plan = plan(
                state,
                movableDemand("ns/small", "1g.6gb", 1, 0),
                demand("ns/pinned", "1g.6gb", 1),
                demand("ns/big", "4g.24gb", 1));
        assertThat(plan.moved()).containsExactly("ns/small-0");
        assertThat(layout(plan, "a", 0)).isEqualTo("[4g.24gb@0]");
        assertThat(plan.assignments()).contains(new Assignment("ns/small", "b", 0, "1g.6gb", 1, false, null));
        assertThat(plan.unsatisfied()).isEmpty();
    }
}
