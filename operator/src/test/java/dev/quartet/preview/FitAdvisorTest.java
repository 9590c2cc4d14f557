package dev.quartet.preview;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.GpuModelName;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.SliceSpec;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.Plan;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each knob is named only when the planner, run again with it changed, places more of the short replicas. */
class FitAdvisorTest {

    private static List<String> wouldFit(PlanningInput input, String id) {
        Plan plan = TestCluster.plan(input);
        return new FitAdvisor(PlanningSettings.DEFAULTS.planner(), Duration.ofSeconds(10)).wouldFit(input, plan, id);
    }

    @Test
    void aDeploymentThatFitsNeedsNothing() {
        TestCluster c = TestCluster.a30s(1, 1);
        assertThat(wouldFit(c.inputWith(TestCluster.deployment("web", "1g.6gb", 2)), "ml/web"))
                .isEmpty();
    }

    @Test
    void theLowestPriorityThatPreEmptsIsOneAboveTheHighestItMustBeat() {
        TestCluster c = TestCluster.a30s(1, 1);
        InferenceDeployment low = c.deploy(TestCluster.deployment("low", "1g.6gb", 2));
        low.getSpec().setMovable(true);
        low.getSpec().setPriority(3);
        InferenceDeployment mid = c.deploy(TestCluster.deployment("mid", "1g.6gb", 2));
        mid.getSpec().setMovable(true);
        mid.getSpec().setPriority(7);
        c.replica("low", 0, "a", 0, "1g.6gb", 0);
        c.replica("low", 1, "a", 0, "1g.6gb", 1);
        c.replica("mid", 0, "a", 0, "1g.6gb", 2);
        c.replica("mid", 1, "a", 0, "1g.6gb", 3);

        assertThat(wouldFit(c.inputWith(TestCluster.deployment("new", "1g.6gb", 2)), "ml/new"))
                .first()
                .isEqualTo("raise spec.priority to 4 (now 0): 2 more replicas fit, taking slices from ml/low"
                        + " (2 fewer, priority 3)");
        assertThat(wouldFit(c.inputWith(TestCluster.deployment("new", "1g.6gb", 4)), "ml/new"))
                .first()
                .isEqualTo("raise spec.priority to 8 (now 0): 4 more replicas fit, taking slices from ml/low"
                        + " (2 fewer, priority 3), ml/mid (2 fewer, priority 7)");
    }

    @Test
    void replicasThatMayNotMoveAreNamedWhenMovingThemWouldFitMore() {
        TestCluster c = TestCluster.a30s(1, 2);
        c.deploy(TestCluster.deployment("pinned", "1g.6gb", 2));
        c.replica("pinned", 0, "a", 0, "1g.6gb", 0);
        c.replica("pinned", 1, "a", 1, "1g.6gb", 0);

        List<String> ways = wouldFit(c.inputWith(TestCluster.deployment("whole", "4g.24gb", 1)), "ml/whole");

        assertThat(ways)
                .contains("set movable: true on ml/pinned: Quartet may then move 1 of their replicas to repartition"
                        + " GPUs; 1 more replica fits");
    }

    @Test
    void whatAWayTakesFromOtherDeploymentsIsSaid() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.deploy(TestCluster.deployment("ocr", "2g.12gb", 2));
        c.replica("ocr", 0, "a", 0, "2g.12gb", 0);
        c.replica("ocr", 1, "a", 0, "2g.12gb", 2);
        c.nodes.get(0).getMetadata().getLabels().put(NvidiaLabels.MIG_CONFIG, "all-2g.12gb");
        c.nodes
                .get(0)
                .getStatus()
                .setAllocatable(java.util.Map.of(
                        NvidiaLabels.resourceName("2g.12gb"), new io.fabric8.kubernetes.api.model.Quantity("2")));

        List<String> ways = wouldFit(c.inputWith(TestCluster.deployment("batch", "1g.6gb", 4)), "ml/batch");

        assertThat(ways)
                .anySatisfy(w -> assertThat(w)
                        .startsWith("set movable: true on ml/ocr: ")
                        .endsWith("4 more replicas fit, taking slices from ml/ocr (2 fewer, priority 0)"));
    }

    @Test
    void nodesItsSelectorLeavesOutAreNamedWhenTheyHaveRoom() {
        TestCluster c = TestCluster.a30s(2, 1);
        c.nodes.forEach(n -> n.getMetadata()
                .getLabels()
                .put("pool", n.getMetadata().getName().equals("a") ? "blue" : "green"));
        c.deploy(TestCluster.deployment("filler", "1g.6gb", 4));
        c.fill1g("filler", 4, "a");
        InferenceDeployment blue = TestCluster.deployment("blue", "1g.6gb", 2);
        blue.getSpec().getWorker().getNodeSelector().put("pool", "blue");

        assertThat(wouldFit(c.inputWith(blue), "ml/blue"))
                .contains("let it run on b (spec.worker.nodeSelector or the taints it does not tolerate keep it"
                        + " off): 2 more replicas fit");
    }

    @Test
    void aPinnedModelTheClusterLacksIsNamedWithTheModelsThatHaveRoom() {
        TestCluster c = TestCluster.a30s(1, 1);
        InferenceDeployment d = TestCluster.deployment("big", null, 1);
        SliceSpec slice = new SliceSpec();
        slice.setMemoryGiB(10);
        slice.setGpuModel(GpuModelName.A100_80GB);
        d.getSpec().setSlice(slice);

        assertThat(wouldFit(c.inputWith(d), "ml/big"))
                .containsExactly(
                        "drop spec.slice.gpuModel A100-80GB: 1 more replica fits on A30 GPUs",
                        "add GPUs of a model this deployment can use (A100-80GB): one A100-80GB fits 1");
    }

    @Test
    void aBlockedRolloutIsToldToLetTheOldReplicasGoFirst() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.deploy(TestCluster.deployment("web", "2g.12gb", 2));
        c.fill1g("web", 4, "a");

        assertThat(wouldFit(c.input(), "ml/web"))
                .contains("raise spec.maxUnavailable (now 1, at most 2) so that the 4 replicas of the old spec go"
                        + " before their replacements are Ready and free their slices: 2 more replicas fit");
    }

    @Test
    void moreNodesAreSuggestedLikeTheLargestEligibleOne() {
        TestCluster c = TestCluster.a30s(1, 2);
        c.nodes
                .get(0)
                .getStatus()
                .getAllocatable()
                .put(NvidiaLabels.resourceName("1g.6gb"), new io.fabric8.kubernetes.api.model.Quantity("8"));
        c.deploy(TestCluster.deployment("filler", "1g.6gb", 8));
        c.fill1g("filler", 8, "a");

        assertThat(wouldFit(c.inputWith(TestCluster.deployment("more", "1g.6gb", 3)), "ml/more"))
                .containsExactly("add a node like a (2 x A30): 3 more replicas fit there");
    }
}
