package dev.quartet.planner;

import static dev.quartet.planner.Clusters.a30;
import static dev.quartet.planner.Clusters.cluster;
import static dev.quartet.planner.Clusters.foreign;
import static dev.quartet.planner.Clusters.free;
import static dev.quartet.planner.Clusters.node;
import static dev.quartet.planner.Clusters.running;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An autoscaled deployment's scale-down ({@code freeGpusFirst}) releases the replicas whose removal empties a whole
 * GPU, where the spread rule would thin out the fuller GPUs and leave every GPU partly used.
 */
class FreeGpusFirstTest {

    // GPU 0: three replicas; GPU 1: one replica; GPU 2: one replica beside another tenant's pod.
    private static final ClusterState STATE = cluster(node(
            "n",
            a30(
                    0,
                    running("1g.6gb", 0, "ml/resnet", "0"),
                    running("1g.6gb", 1, "ml/resnet", "1"),
                    running("1g.6gb", 2, "ml/resnet", "2"),
                    free("1g.6gb", 3)),
            a30(1, running("1g.6gb", 0, "ml/resnet", "3"), free("1g.6gb", 1), free("1g.6gb", 2), free("1g.6gb", 3)),
            a30(
                    2,
                    running("1g.6gb", 0, "ml/resnet", "4"),
                    foreign("1g.6gb", 1, "other/pod"),
                    free("1g.6gb", 2),
                    free("1g.6gb", 3))));

    private static Demand resnet(int replicas, boolean freeGpusFirst) {
        return new Demand(
                "ml/resnet", "1g.6gb", null, replicas, 0, null, false, Placement.SPREAD, null, null, freeGpusFirst);
    }

    @Test
    void spreadThinsTheFullestGpu() {
        assertThat(new MigPlanner().plan(STATE, List.of(resnet(4, false))).released())
                .containsExactly("ml/resnet-2");
    }

    @Test
    void freeGpusFirstEmptiesTheGpuThatOneReleaseFrees() {
        Plan plan = new MigPlanner().plan(STATE, List.of(resnet(4, true)));
        assertThat(plan.released())
                .as("GPU 1 holds only resnet-3; GPU 2 also holds another tenant's pod")
                .containsExactly("ml/resnet-3");
    }

    @Test
    void aLargerScaleDownEmptiesAFullerGpuWhenItCan() {
        Plan plan = new MigPlanner().plan(STATE, List.of(resnet(1, true)));
        assertThat(plan.released())
                .as("GPU 1 (one release) and GPU 0 (three) are emptied; resnet-4 shares GPU 2 anyway")
                .containsExactlyInAnyOrder("ml/resnet-0", "ml/resnet-1", "ml/resnet-2", "ml/resnet-3");
    }
}
