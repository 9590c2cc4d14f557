package dev.quartet.planner;

import static dev.quartet.planner.Clusters.a30;
import static dev.quartet.planner.Clusters.cluster;
import static dev.quartet.planner.Clusters.count;
import static dev.quartet.planner.Clusters.countOn;
import static dev.quartet.planner.Clusters.demand;
import static dev.quartet.planner.Clusters.fixedNode;
import static dev.quartet.planner.Clusters.foreign;
import static dev.quartet.planner.Clusters.free;
import static dev.quartet.planner.Clusters.gpu;
import static dev.quartet.planner.Clusters.gpuPlan;
import static dev.quartet.planner.Clusters.layout;
import static dev.quartet.planner.Clusters.memoryDemand;
import static dev.quartet.planner.Clusters.movableDemand;
import static dev.quartet.planner.Clusters.node;
import static dev.quartet.planner.Clusters.onNodes;
import static dev.quartet.planner.Clusters.plan;
import static dev.quartet.planner.Clusters.repartitioned;
import static dev.quartet.planner.Clusters.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.nvidia.GpuModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rules 3-8 and the reasons, one behaviour per test. */
class MigPlannerRulesTest {

    private static GpuState quarters(int index) {
        return a30(index, free("1g.6gb", 0), free("1g.6gb", 1), free("1g.6gb", 2), free("1g.6gb", 3));
    }

    @Test
    void aMoveWhoseReplacementRunsReleasesTheOldReplicaInsteadOfMovingItAgain() {
        // big-0 must leave node a so small can have a's GPU; its replacement big-1 already runs on b.
        ClusterState state = cluster(
                node("a", a30(0, Clusters.movable("4g.24gb", 0, "ns/big", "0"))),
                node("b", a30(0, Clusters.movable("4g.24gb", 0, "ns/big", "1"))));
        Plan plan = plan(state, movableDemand("ns/big", "4g.24gb", 1, 0), onNodes("ns/small", "1g.6gb", 4, "a"));
        assertThat(plan.released()).containsExactly("ns/big-0");
        assertThat(plan.moved()).isEmpty();
        assertThat(plan.assignments())
                .filteredOn(a -> a.demand().equals("ns/big"))
                .singleElement()
                .satisfies(a -> assertThat(a.replica()).isEqualTo("ns/big-1"));
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
        assertThat(countOn(plan, "ns/small", "a")).isEqualTo(4);
    }

    @Test
    void higherPriorityWinsWhenSlicesAreShort() {
        ClusterState state = cluster(node("a", a30(0, free("2g.12gb", 0), free("2g.12gb", 2))));
        Plan plan = plan(state, demand("ns/low", "2g.12gb", 2, 0), demand("ns/high", "2g.12gb", 2, 10));
        assertThat(count(plan, "ns/high")).isEqualTo(2);
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/low", 2, UnsatisfiedReason.InsufficientSlices));
    }

    @Test
    void replicasSpreadOnePerNode() {
        ClusterState state = cluster(node("a", quarters(0)), node("b", a30(0)), node("c", a30(0)));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 3));
        assertThat(List.of(countOn(plan, "ns/web", "a"), countOn(plan, "ns/web", "b"), countOn(plan, "ns/web", "c")))
                .containsExactly(1L, 1L, 1L);
    }

    @Test
    void newReplicasGoWhereFewestRun() {
        ClusterState state = cluster(
                node(
                        "a",
                        a30(
                                0,
                                running("1g.6gb", 0, "ns/web", "0"),
                                running("1g.6gb", 1, "ns/web", "1"),
                                free("1g.6gb", 2),
                                free("1g.6gb", 3))),
                node("b", quarters(0)));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 4));
        assertThat(countOn(plan, "ns/web", "b")).isEqualTo(2);
    }

    @Test
    void packConcentratesReplicasOnOneNode() {
        ClusterState state = cluster(node("a", quarters(0)), node("b", quarters(0)), node("c", quarters(0)));
        Plan plan = plan(state, Clusters.packed("ns/batch", "1g.6gb", 3));
        assertThat(plan.assignments()).extracting(Assignment::node).containsOnly("a");
    }

    @Test
    void replicasSpreadOverTheGpusOfANode() {
        ClusterState state = cluster(node("a", quarters(0), quarters(1)));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 2));
        assertThat(plan.assignments()).extracting(Assignment::gpu).containsExactlyInAnyOrder(0, 1);
        assertThat(repartitioned(plan)).isZero();
    }

    @Test
    void freeInstancesBeforeARepartition() {
        ClusterState state = cluster(node("a", a30(0), quarters(1)));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 3));
        assertThat(repartitioned(plan)).isZero();
        assertThat(plan.assignments()).extracting(Assignment::gpu).containsOnly(1);
    }

    @Test
    void aNonFullLayoutIsRepartitionedRatherThanStranded() {
        ClusterState state = cluster(node("a", a30(0, free("1g.6gb", 0))));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 1));
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
        assertThat(plan.gpus().get(0).repartition()).isTrue();
    }

    @Test
    void replicasOfANodeAreSharedOutSoThatNoRepartitionedGpuStrandsASlice() {
        // Placement fills GPU 0 with both 1g.20gb and four 1g.10gb, then GPU 1 with seven 1g.10gb: seven compute
        // slices of 1g.10gb leave memory slice 7 uncovered. One 1g.20gb at slot 6 on each GPU covers both.
        ClusterState state = cluster(node("a", gpu(0, GpuModel.A100_80GB), gpu(1, GpuModel.A100_80GB)));
        List<Demand> demands = List.of(demand("ns/small", "1g.10gb", 11), demand("ns/wide", "1g.20gb", 2));
        Plan plan = new MigPlanner().plan(state, demands);
        assertThat(count(plan, "ns/small") + count(plan, "ns/wide")).isEqualTo(13);
        assertThat(repartitioned(plan)).isEqualTo(2);
        assertThat(PlanQuality.of(state, demands, plan).stranded()).isZero();
        assertThat(layout(plan, "a", 0)).endsWith("1g.20gb@6]");
        assertThat(layout(plan, "a", 1)).endsWith("1g.20gb@6]");
    }

    @Test
    void aReplicaThatWouldMakeItsGpuStrandASliceGoesToAFreeInstanceOnANodeHoldingFewerOfItsDemand() {
        // Node b's empty A100-40GB takes the three 2g.10gb of ns/wide (only b is eligible); placement then puts
        // ns/one's replica in the room left there: 2g + 2g + 2g + 1g use all seven compute slices and leave
        // memory slice 7 uncovered. Node a's GPU, holding a running replica, has a free 1g.5gb that costs
        // nothing, and a holds none of ns/one: the replica goes there, and b's GPU gets a 1g.10gb at slot 6
        // covering every slice. The one stranded slice left is a's slice 7, which its running 3g.20gb pins.
        ClusterState state = cluster(
                node(
                        "a",
                        gpu(
                                0,
                                GpuModel.A100_40GB,
                                running("3g.20gb", 0, "ns/other", "0"),
                                free("1g.5gb", 4),
                                free("1g.5gb", 5),
                                free("1g.5gb", 6))),
                node("b", gpu(0, GpuModel.A100_40GB)));
        List<Demand> demands = List.of(
                onNodes("ns/wide", "2g.10gb", 3, "b"), demand("ns/one", "1g.5gb", 1), demand("ns/other", "3g.20gb", 1));
        Plan plan = new MigPlanner().plan(state, demands);
        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(countOn(plan, "ns/one", "a")).isEqualTo(1);
        assertThat(repartitioned(plan)).isEqualTo(1);
        assertThat(layout(plan, "b", 0)).isEqualTo("[2g.10gb@0, 2g.10gb@2, 2g.10gb@4, 1g.10gb@6]");
        assertThat(PlanQuality.of(state, demands, plan).stranded()).isEqualTo(1);
    }

    @Test
    void anIdleGpuOfANodeRepartitionedAnywayTakesAReplicaFromEachGpuThatStrands() {
        // 42 x 1g.10gb fill six GPUs with seven each: seven compute slices of 1g.10gb leave memory slice 7 of
        // each uncovered, and no other split or move helps. GPU 6 of the same node, idle, takes one from each:
        // seven GPUs repartitioned instead of six, no slice stranded instead of six.
        GpuState[] gpus = new GpuState[7];
        for (int i = 0; i < gpus.length; i++) {
            gpus[i] = gpu(i, GpuModel.A100_80GB);
        }
        ClusterState state = cluster(node("a", gpus));
        List<Demand> demands = List.of(demand("ns/small", "1g.10gb", 42));

        Plan covered = new MigPlanner().plan(state, demands);
        assertThat(count(covered, "ns/small")).isEqualTo(42);
        assertThat(repartitioned(covered)).isEqualTo(7);
        assertThat(PlanQuality.of(state, demands, covered).stranded()).isZero();
        for (int i = 0; i < gpus.length; i++) {
            assertThat(layout(covered, "a", i)).endsWith("1g.20gb@6]");
        }

        Plan strict = new MigPlanner(new MigPlanner.Options(0)).plan(state, demands);
        assertThat(count(strict, "ns/small")).isEqualTo(42);
        assertThat(repartitioned(strict)).isEqualTo(6);
        assertThat(PlanQuality.of(state, demands, strict).stranded()).isEqualTo(6);
        assertThat(new MigPlanner(new MigPlanner.Options(7)).plan(state, demands))
                .isEqualTo(strict);
    }

    @Test
    void anIdleA30OfANodeRepartitionedAnywayTakesReplicasThatResolveOnItFromGpusThatStrand() {
        // Each A100-80GB of nodes a1-a3 holds six replicas that may run only there and one 5 GiB replica that may
        // run anywhere: seven 1g.10gb strand slice 7. Node b is repartitioned anyway (its GPU 0 for ns/big). An
        // A30 holds at most four replicas, so it trades for half the threshold (3 of the default 6): its idle
        // GPU 1 takes the three 5 GiB replicas as 1g.6gb and no slice is stranded, for one more GPU repartitioned.
        ClusterState state = cluster(
                node("a1", gpu(0, GpuModel.A100_80GB)),
                node("a2", gpu(0, GpuModel.A100_80GB)),
                node("a3", gpu(0, GpuModel.A100_80GB)),
                node("b", a30(0), a30(1)));
        List<Demand> demands = List.of(
                onNodes("ns/fill1", "1g.10gb", 6, "a1"),
                onNodes("ns/fill2", "1g.10gb", 6, "a2"),
                onNodes("ns/fill3", "1g.10gb", 6, "a3"),
                onNodes("ns/big", "4g.24gb", 1, "b"),
                memoryDemand("ns/mem1", 5, 1),
                memoryDemand("ns/mem2", 5, 1),
                memoryDemand("ns/mem3", 5, 1));

        Plan covered = new MigPlanner().plan(state, demands);
        assertThat(covered.unsatisfied()).isEmpty();
        assertThat(layout(covered, "b", 1)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
        assertThat(countOn(covered, "ns/mem1", "b")).isEqualTo(1);
        assertThat(repartitioned(covered)).isEqualTo(5);
        assertThat(PlanQuality.of(state, demands, covered).stranded()).isZero();

        // 7 per eight slices is 4 on an A30: three replicas are not enough.
        Plan strict = new MigPlanner(new MigPlanner.Options(7)).plan(state, demands);
        assertThat(repartitioned(strict)).isEqualTo(4);
        assertThat(PlanQuality.of(state, demands, strict).stranded()).isEqualTo(3);
    }

    @Test
    void anIdleGpuIsNotRepartitionedToCoverSlicesWhenItsNodeKeepsItsLayout() {
        // Node a's six GPUs hold 41 replicas that may run only on a, and ns/x's one, which may run anywhere: each
        // GPU strands slice 7. Moving ns/x's replica to node b's idle GPU 1 would cover one slice, but b keeps its
        // layout (GPU 0 runs a replica), so that would reconfigure a node that needs nothing.
        GpuState[] gpus = new GpuState[6];
        for (int i = 0; i < gpus.length; i++) {
            gpus[i] = gpu(i, GpuModel.A100_80GB);
        }
        ClusterState state = cluster(
                node("a", gpus),
                node(
                        "b",
                        gpu(0, GpuModel.A100_80GB, running("7g.80gb", 0, "ns/big", "0")),
                        gpu(1, GpuModel.A100_80GB)));
        List<Demand> demands = List.of(
                onNodes("ns/small", "1g.10gb", 41, "a"), demand("ns/x", "1g.10gb", 1), demand("ns/big", "7g.80gb", 1));
        Plan plan = new MigPlanner(new MigPlanner.Options(1)).plan(state, demands);
        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(countOn(plan, "ns/x", "a")).isEqualTo(1);
        assertThat(gpuPlan(plan, "b", 1).repartition()).isFalse();
        assertThat(PlanQuality.of(state, demands, plan).stranded()).isEqualTo(6);
    }

    @Test
    void anIdleGpuWhoseFullLayoutLeavesASliceUncoveredIsNotOpenedJustToSpreadOverGpus() {
        // Seven 1g.5gb cover memory slices 0-6 of an A100-40GB: slice 7 stays uncovered on any GPU holding a
        // replica. GPU 0 already holds one, so its free instance costs nothing; GPU 1 would strand one more slice.
        InstanceState[] sevenFree = new InstanceState[7];
        for (int i = 0; i < 7; i++) {
            sevenFree[i] = free("1g.5gb", i);
        }
        InstanceState[] oneRunning = sevenFree.clone();
        oneRunning[0] = running("1g.5gb", 0, "ns/web", "0");
        ClusterState state =
                cluster(node("a", gpu(0, GpuModel.A100_40GB, oneRunning), gpu(1, GpuModel.A100_40GB, sevenFree)));
        List<Demand> demands = List.of(demand("ns/web", "1g.5gb", 2));
        Plan plan = new MigPlanner().plan(state, demands);
        assertThat(plan.assignments()).extracting(Assignment::gpu).containsExactly(0, 0);
        assertThat(PlanQuality.of(state, demands, plan).stranded()).isEqualTo(1);
    }

    @Test
    void lowerPriorityMediaExtensionReplicasStillGetAGpuEachWhenTheSmallOnesShare() {
        // One +me instance per GPU: if the packed 1g replicas (higher priority) filled one GPU, the second
        // 2g.12gb+me would find no GPU. Two 1g per GPU leave room for everything.
        ClusterState state = cluster(node("a", a30(0)), node("b", a30(0)));
        Plan plan = plan(
                state,
                new Demand("ns/small", "1g.6gb", null, 4, 1, null, false, Placement.PACK, null),
                demand("ns/media", "2g.12gb+me", 2, 0));
        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(layout(plan, "a", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 2g.12gb+me@2]");
        assertThat(layout(plan, "b", 0)).isEqualTo("[1g.6gb@0, 1g.6gb@1, 2g.12gb+me@2]");
    }

    @Test
    void scaleDownReleasesWhereSpreadSuffersLeast() {
        ClusterState state = cluster(
                node(
                        "a",
                        a30(
                                0,
                                running("1g.6gb", 0, "ns/web", "0"),
                                running("1g.6gb", 1, "ns/web", "1"),
                                free("1g.6gb", 2),
                                free("1g.6gb", 3))),
                node(
                        "b",
                        a30(
                                0,
                                running("1g.6gb", 0, "ns/web", "2"),
                                free("1g.6gb", 1),
                                free("1g.6gb", 2),
                                free("1g.6gb", 3))));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 2));
        assertThat(plan.released()).containsExactly("ns/web-1");
        assertThat(plan.moved()).isEmpty();
        assertThat(plan.assignments()).allMatch(Assignment::existing);
    }

    @Test
    void aDeletedDemandReleasesItsReplicasAndFreesTheGpu() {
        ClusterState state = cluster(node("a", a30(0, running("4g.24gb", 0, "ns/old", "0"))));
        Plan plan = plan(state, demand("ns/new", "2g.12gb", 2));
        assertThat(plan.released()).containsExactly("ns/old-0");
        assertThat(layout(plan, "a", 0)).isEqualTo("[2g.12gb@0, 2g.12gb@2]");
    }

    @Test
    void foreignWorkloadsAreNeverMovedButTheirFreeNeighboursServe() {
        ClusterState state = cluster(node("a", a30(0, foreign("2g.12gb", 0, "other/pod"), free("2g.12gb", 2))));
        Plan plan = plan(state, demand("ns/half", "2g.12gb", 2));
        assertThat(plan.gpus().get(0).repartition()).isFalse();
        assertThat(count(plan, "ns/half")).isEqualTo(1);
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/half", 1, UnsatisfiedReason.InsufficientSlices));
    }

    @Test
    void aFixedNodeIsNotRepartitioned() {
        ClusterState state = cluster(fixedNode("a", a30(0), quarters(1)));
        Plan plan = plan(state, demand("ns/web", "1g.6gb", 2), demand("ns/half", "2g.12gb", 1));
        assertThat(repartitioned(plan)).isZero();
        assertThat(count(plan, "ns/web")).isEqualTo(2);
        assertThat(plan.unsatisfied()).extracting(Unsatisfied::demand).containsExactly("ns/half");
    }

    @Test
    void aMemoryDemandResolvesPerGpuModel() {
        ClusterState state = cluster(node("a", a30(0)), node("b", gpu(0, GpuModel.A100_40GB)));
        Plan plan = plan(state, memoryDemand("ns/bert", 10, 2));
        assertThat(plan.assignments())
                .extracting(a -> a.node() + ":" + a.profile())
                .containsExactlyInAnyOrder("a:2g.12gb", "b:1g.10gb");
    }

    @Test
    void reasonsNameWhatIsMissing() {
        ClusterState state = cluster(node("a", a30(0, running("4g.24gb", 0, "ns/big", "0"))));
        Demand h100 = new Demand("ns/h100", "1g.10gb", null, 1, 0, GpuModel.H100_80GB, false, Placement.SPREAD, null);
        Plan plan = plan(
                state,
                demand("ns/big", "4g.24gb", 1),
                h100,
                memoryDemand("ns/huge", 30, 1),
                demand("ns/seven", "7g.80gb", 1),
                demand("ns/more", "1g.6gb", 1));
        assertThat(plan.unsatisfied())
                .containsExactly(
                        new Unsatisfied("ns/h100", 1, UnsatisfiedReason.NoMatchingGpuModel),
                        new Unsatisfied("ns/huge", 1, UnsatisfiedReason.ProfileTooLargeForModel),
                        new Unsatisfied("ns/more", 1, UnsatisfiedReason.InsufficientSlices),
                        new Unsatisfied("ns/seven", 1, UnsatisfiedReason.ProfileTooLargeForModel));
    }

    @Test
    void aMovableLowerPriorityReplicaYieldsItsGpu() {
        ClusterState state = cluster(node("a", a30(0, new InstanceState("4g.24gb", 0, "ns/low-0", "ns/low", true))));
        Plan plan = plan(state, Clusters.movableDemand("ns/low", "4g.24gb", 1, 0), demand("ns/high", "2g.12gb", 1, 5));
        assertThat(plan.moved()).containsExactly("ns/low-0");
        assertThat(count(plan, "ns/high")).isEqualTo(1);
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/low", 1, UnsatisfiedReason.InsufficientSlices));
    }

    @Test
    void aNonMovableReplicaIsNeverDisplaced() {
        ClusterState state = cluster(node("a", a30(0, running("4g.24gb", 0, "ns/low", "0"))));
        Plan plan = plan(state, demand("ns/low", "4g.24gb", 1, 0), demand("ns/high", "2g.12gb", 1, 5));
        assertThat(plan.moved()).isEmpty();
        assertThat(plan.unsatisfied())
                .containsExactly(new Unsatisfied("ns/high", 1, UnsatisfiedReason.InsufficientSlices));
    }

    @Test
    void invalidInputIsRejectedWithThePathOfTheEntry() {
        ClusterState state = cluster(node("a", a30(0), a30(0)));
        assertThatThrownBy(() -> new MigPlanner().plan(state, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("nodes[0].gpus[1]: duplicate GPU index 0 on node a");
    }
}
