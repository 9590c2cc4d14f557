package dev.quartet.preview;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.InferenceDeployment;
import dev.quartet.planner.Plan;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Why each replica is where it is, and, for a shortfall, every GPU the deployment could not use. */
class ReplicaExplainerTest {

    private static ReplicaExplainer.Explanation explain(TestCluster c, PlanningInput input, String id) {
        Plan plan = TestCluster.plan(input);
        FitAdvisor advisor = new FitAdvisor(PlanningSettings.DEFAULTS.planner(), Duration.ofSeconds(10));
        PlanPreview preview = PlanPreview.of(input, plan, d -> advisor.wouldFit(input, plan, d));
        return ReplicaExplainer.explain(input, plan, preview, c.pods, id);
    }

    @Test
    void runningReplicasAreKeptAndAShortfallNamesEachGpuAndWhyNot() {
        TestCluster c = TestCluster.a30s(2, 1);
        c.nodes
                .get(1)
                .getSpec()
                .setTaints(java.util.List.of(
                        new io.fabric8.kubernetes.api.model.Taint("NoSchedule", "dedicated", null, "training")));
        c.deploy(TestCluster.deployment("pinned", "1g.6gb", 2));
        c.replica("pinned", 0, "a", 0, "1g.6gb", 1);
        c.replica("pinned", 1, "a", 0, "1g.6gb", 2);
        InferenceDeployment whole = c.deploy(TestCluster.deployment("whole", "2g.12gb", 1));

        ReplicaExplainer.Explanation pinned = explain(c, c.input(), "ml/pinned");
        assertThat(pinned.summary())
                .isEqualTo("2 replicas of 1g.6gb, priority 0, spread, not movable, new replicas only on a");
        assertThat(pinned.replicas())
                .containsExactly(
                        new ReplicaExplainer.Line(
                                "pinned-0", "runs on a GPU 0 (1g.6gb at slot 1, MIG-a-0-1): kept where it runs"),
                        new ReplicaExplainer.Line(
                                "pinned-1", "runs on a GPU 0 (1g.6gb at slot 2, MIG-a-0-2): kept where it runs"));
        assertThat(pinned.pending()).isNull();

        ReplicaExplainer.Explanation e =
                explain(c, c.input(), "ml/" + whole.getMetadata().getName());
        assertThat(e.replicas()).isEmpty();
        assertThat(e.pending().reason()).isEqualTo("BlockedByRunningReplicas");
        assertThat(e.unusable())
                .containsExactly(
                        new ReplicaExplainer.Line(
                                "a GPU 0",
                                "keeps its layout 4x1g.6gb, which has no 2g.12gb slice: it runs replicas of ml/pinned,"
                                        + " which may not move (movable: false)"),
                        new ReplicaExplainer.Line(
                                "b (1 x A30)", "it does not tolerate the taint dedicated=training:NoSchedule"));
    }

    @Test
    void theGpusItCouldNotUseAreListedNodeByNodeInNameOrder() {
        TestCluster c = TestCluster.a30s(6, 1);
        c.deploy(TestCluster.deployment("pinned", "1g.6gb", 6));
        for (String node : java.util.List.of("a", "b", "c", "d", "e", "f")) {
            c.replica("pinned", node.charAt(0) - 'a', node, 0, "1g.6gb", 1);
        }
        c.deploy(TestCluster.deployment("whole", "4g.24gb", 1));

        assertThat(explain(c, c.input(), "ml/whole").unusable())
                .extracting(ReplicaExplainer.Line::subject)
                .containsExactly("a GPU 0", "b GPU 0", "c GPU 0", "d GPU 0", "e GPU 0", "f GPU 0");
    }

    @Test
    void aNewReplicaSaysWhereItGoesAndThatItsGpuIsRepartitionedFirst() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.deploy(TestCluster.deployment("whole", "4g.24gb", 1));

        ReplicaExplainer.Explanation e = explain(c, c.input(), "ml/whole");

        assertThat(e.replicas())
                .containsExactly(new ReplicaExplainer.Line(
                        "(new)",
                        "to be created on a GPU 0 (4g.24gb at slot 0), after MIG Manager repartitions the GPU from"
                                + " 4x1g.6gb to 4g.24gb"));
    }
}
