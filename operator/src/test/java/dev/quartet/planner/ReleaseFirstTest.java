package dev.quartet.planner;

import static dev.quartet.planner.Clusters.a30;
import static dev.quartet.planner.Clusters.cluster;
import static dev.quartet.planner.Clusters.free;
import static dev.quartet.planner.Clusters.node;
import static dev.quartet.planner.Clusters.running;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A scale-down releases the replicas the caller names (failing ones) before choosing by spread. */
class ReleaseFirstTest {

    private static final ClusterState STATE = cluster(node(
            "n",
            a30(
                    0,
                    running("1g.6gb", 0, "ml/resnet", "0"),
                    running("1g.6gb", 1, "ml/resnet", "2"),
                    free("1g.6gb", 2),
                    free("1g.6gb", 3)),
            a30(1, running("1g.6gb", 0, "ml/resnet", "1"), free("1g.6gb", 1), free("1g.6gb", 2), free("1g.6gb", 3))));
    private static final List<Demand> TWO = List.of(Demand.ofProfile("ml/resnet", "1g.6gb", 2, 0));

    @Test
    void byDefaultTheSpreadDecides() {
        assertThat(new MigPlanner().plan(STATE, TWO).released()).containsExactly("ml/resnet-2");
    }

    @Test
    void aNamedReplicaGoesFirst() {
        assertThat(new MigPlanner().plan(STATE, TWO, Set.of("ml/resnet-1")).released())
                .containsExactly("ml/resnet-1");
    }
}
