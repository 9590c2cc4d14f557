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

/** A node new replicas may not go to (a NoSchedule taint) keeps the replicas running there. */
class KeepNodesTest {

    private static final ClusterState STATE = cluster(
            node(
                    "tainted",
                    a30(
                            0,
                            running("1g.6gb", 0, "ml/resnet", "0"),
                            running("1g.6gb", 1, "ml/resnet", "1"),
                            free("1g.6gb", 2),
                            free("1g.6gb", 3))),
            node("other", a30(0, free("1g.6gb", 0), free("1g.6gb", 1), free("1g.6gb", 2), free("1g.6gb", 3))));

    @Test
    void runningReplicasStayWhereOnlyNewOnesMayNotGo() {
        Demand resnet = new Demand(
                "ml/resnet",
                "1g.6gb",
                null,
                3,
                0,
                null,
                false,
                Placement.SPREAD,
                Set.of("other"),
                Set.of("tainted", "other"));

        Plan plan = new MigPlanner().plan(STATE, List.of(resnet));

        assertThat(plan.moved()).isEmpty();
        assertThat(plan.assignments())
                .filteredOn(Assignment::existing)
                .extracting(Assignment::node)
                .containsExactly("tainted", "tainted");
        assertThat(plan.assignments())
                .filteredOn(a -> !a.existing())
                .extracting(Assignment::node)
                .containsExactly("other");
    }

    @Test
    void withoutKeepNodesReplicasOnNodesTheyMayNotUseAreReplaced() {
        Demand resnet = new Demand("ml/resnet", "1g.6gb", null, 3, 0, null, false, Placement.SPREAD, Set.of("other"));

        Plan plan = new MigPlanner().plan(STATE, List.of(resnet));

        assertThat(plan.assignments())
                .extracting(Assignment::node)
                .containsOnly("other")
                .hasSize(3);
    }
}
