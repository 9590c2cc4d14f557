package dev.quartet.planner;

import static dev.quartet.planner.Clusters.cluster;
import static dev.quartet.planner.Clusters.demand;
import static dev.quartet.planner.Clusters.gpu;
import static dev.quartet.planner.Clusters.node;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The benchmark's lower bound on stranded slices is one: never above what a planner strands, and tight when forced. */
class StrandingBoundTest {

    private static final List<GpuModel> ALL_MODELS = GpuModel.builtIns();

    @Property(tries = 100, seed = "20261206")
    void neverAboveWhatAnyPlannerStrands(@ForAll long seed) {
        RandomClusters input = new RandomClusters(seed, RandomClusters.small(ALL_MODELS));
        for (Plan plan : List.of(
                new MigPlanner().plan(input.state, input.demands),
                new FirstFitBaseline().plan(input.state, input.demands),
                new MultisetPackerBaseline().plan(input.state, input.demands))) {
            long stranded = PlanQuality.of(input.state, input.demands, plan).stranded();
            StrandingBound.Result anyMoves = StrandingBound.of(input.state, input.demands, plan, true);
            assertThat(anyMoves.bound()).isBetween(0L, stranded);
            if (plan.moved().isEmpty()) {
                StrandingBound.Result noMove = StrandingBound.of(input.state, input.demands, plan, false);
                assertThat(noMove.bound()).isBetween(anyMoves.bound(), stranded);
            }
        }
    }

    @Test
    void forcedStrandingIsCounted() {
        // 42 x 1g.10gb on six A100-80GB: seven on each uses every compute slice and leaves slice 7 uncovered, so
        // any plan placing all 42 strands 6; with a seventh GPU, none need be.
        GpuState[] six = new GpuState[6];
        GpuState[] seven = new GpuState[7];
        for (int i = 0; i < seven.length; i++) {
            seven[i] = gpu(i, GpuModel.A100_80GB);
            if (i < six.length) {
                six[i] = seven[i];
            }
        }
        List<Demand> demands = List.of(demand("ns/small", "1g.10gb", 42));
        ClusterState tight = cluster(node("a", six));
        ClusterState roomy = cluster(node("a", seven));
        assertThat(StrandingBound.of(tight, demands, new MigPlanner().plan(tight, demands), false)
                        .bound())
                .isEqualTo(6);
        assertThat(StrandingBound.of(roomy, demands, new MigPlanner().plan(roomy, demands), false)
                        .bound())
                .isZero();
    }
}
