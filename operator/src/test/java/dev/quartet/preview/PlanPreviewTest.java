package dev.quartet.preview;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.InferenceDeployment;
import dev.quartet.planner.Plan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a preview says Quartet would do, on small clusters whose right answer is clear. */
class PlanPreviewTest {

    private static PlanPreview preview(PlanningInput input) {
        Plan plan = TestCluster.plan(input);
        FitAdvisor advisor = new FitAdvisor(PlanningSettings.DEFAULTS.planner(), java.time.Duration.ofSeconds(10));
        return PlanPreview.of(input, plan, id -> advisor.wouldFit(input, plan, id));
    }

    /** The demo's movable-repartition example: a whole A30 for one replica, on a cluster with idle GPUs. */
    @Test
    void aWholeGpuDemandRepartitionsOneIdleGpuAndMovesNothing() {
        TestCluster c = TestCluster.a30s(2, 4);
        c.deploy(TestCluster.deployment("resnet", "1g.6gb", 4));
        c.replica("resnet", 0, "a", 0, "1g.6gb", 0);
        c.replica("resnet", 1, "b", 0, "1g.6gb", 0);
        c.replica("resnet", 2, "a", 1, "1g.6gb", 0);
        c.replica("resnet", 3, "b", 1, "1g.6gb", 0);
        assertThat(preview(c.input()).changesNothing())
                .as("the cluster as it is: the plan is carried out")
                .isTrue();

        InferenceDeployment summarizer = TestCluster.deployment("summarizer", "4g.24gb", 1);
        summarizer.getSpec().setMovable(true);
        summarizer.getSpec().setPriority(50);
        PlanPreview p = preview(c.inputWith(summarizer));

        assertThat(p.repartitions()).singleElement().satisfies(r -> {
            assertThat(r.gpu()).isGreaterThanOrEqualTo(2);
            assertThat(r.from()).isEqualTo("4x1g.6gb");
            assertThat(r.to()).isEqualTo("4g.24gb");
            assertThat(r.drained()).isEmpty();
            assertThat(r.model()).isEqualTo("A30");
        });
        PlanPreview.Repartition r = p.repartitions().get(0);
        assertThat(p.placed()).singleElement().satisfies(n -> {
            assertThat(n.deployment()).isEqualTo("ml/summarizer");
            assertThat(n.slot()).isEqualTo(new PlanPreview.Slot(r.node(), r.gpu(), "4g.24gb", 0));
            assertThat(n.afterRepartition()).isTrue();
        });
        assertThat(p.moved()).isEmpty();
        assertThat(p.preempted()).isEmpty();
        assertThat(p.removed()).isEmpty();
        assertThat(p.pending()).isEmpty();
    }

    @Test
    void aMovableReplicaOnTheOnlyGpusIsMovedFromItsGpuToAnother() {
        TestCluster c = TestCluster.a30s(1, 2);
        c.deploy(TestDeployments.movable("web", 2));
        c.replica("web", 0, "a", 0, "1g.6gb", 0);
        c.replica("web", 1, "a", 1, "1g.6gb", 0);

        PlanPreview p = preview(c.inputWith(TestCluster.deployment("whole", "4g.24gb", 1)));

        assertThat(p.repartitions()).singleElement().satisfies(r -> {
            assertThat(r.to()).isEqualTo("4g.24gb");
            assertThat(r.drained()).hasSize(1);
        });
        PlanPreview.Repartition r = p.repartitions().get(0);
        assertThat(p.moved()).singleElement().satisfies(m -> {
            assertThat(m.replica()).isEqualTo(r.drained().get(0));
            assertThat(m.deployment()).isEqualTo("ml/web");
            assertThat(m.from().gpu()).isEqualTo(r.gpu());
            assertThat(m.to().gpu()).isEqualTo(1 - r.gpu());
            assertThat(m.to().profile()).isEqualTo("1g.6gb");
        });
        assertThat(p.placed())
                .singleElement()
                .satisfies(n -> assertThat(n.slot().gpu()).isEqualTo(r.gpu()));
        assertThat(p.pending()).isEmpty();
    }

    @Test
    void aShortDeploymentIsPendingWithItsReasonAndWhatWouldFitIt() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.deploy(TestDeployments.movable("filler", 4));
        c.fill1g("filler", 4, "a");

        PlanPreview p = preview(c.inputWith(TestCluster.deployment("urgent", "1g.6gb", 2)));

        assertThat(p.changesNothing()).isTrue();
        assertThat(p.pendingReplicas()).isEqualTo(2);
        assertThat(p.pending()).singleElement().satisfies(pending -> {
            assertThat(pending.deployment()).isEqualTo("ml/urgent");
            assertThat(pending.reason()).isEqualTo("InsufficientSlices");
            assertThat(pending.desired()).isEqualTo(2);
            assertThat(pending.wouldFit())
                    .containsExactly(
                            "raise spec.priority to 1 (now 0): 2 more replicas fit, taking slices from ml/filler"
                                    + " (2 fewer, priority 0)",
                            "add a node like a (1 x A30): 2 more replicas fit there");
            assertThat(pending.sentences())
                    .containsExactly(
                            "2 of 2 replicas have no MIG slice: every GPU that could hold this profile is full",
                            "would fit: " + pending.wouldFit().get(0),
                            "would fit: " + pending.wouldFit().get(1));
        });
    }

    @Test
    void deletingADeploymentFreesItsReplicasSlicesForTheNextPlan() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.deploy(TestDeployments.movable("filler", 4));
        c.fill1g("filler", 4, "a");
        InferenceDeployment urgent = TestCluster.deployment("urgent", "1g.6gb", 2);
        urgent.getMetadata().setNamespace("ml");

        PlanningInput input = PlanningInput.of(
                PlanningInput.withoutReplicasOf(c.snapshot(), List.of("ml/filler")),
                PlanningInput.withChanges(c.deployments, List.of(urgent), List.of("ml/filler")),
                PlanningSettings.DEFAULTS,
                TestCluster.NOW);
        PlanPreview p = preview(input);

        assertThat(p.pending()).isEmpty();
        assertThat(p.placed())
                .hasSize(2)
                .allSatisfy(n -> assertThat(n.deployment()).isEqualTo("ml/urgent"));
        assertThat(p.repartitions()).isEmpty();
    }

    @Test
    void layoutsAreDescribedAsAdministratorsWriteThem() {
        assertThat(Layouts.describe(List.of())).isEqualTo("no MIG instances");
        assertThat(Layouts.describe(List.of(
                        new dev.quartet.planner.Instance("2g.12gb", 2),
                        new dev.quartet.planner.Instance("1g.6gb", 0),
                        new dev.quartet.planner.Instance("1g.6gb", 1))))
                .isEqualTo("2x1g.6gb + 2g.12gb");
    }

    /** Deployments of the tests in namespace ml. */
    static final class TestDeployments {
        static InferenceDeployment movable(String name, int replicas) {
            InferenceDeployment d = TestCluster.deployment(name, "1g.6gb", replicas);
            d.getSpec().setMovable(true);
            return d;
        }
    }
}
