package dev.quartet.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.InferenceDeployment;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.PlanningSettings;
import dev.quartet.preview.TestCluster;
import dev.quartet.reconciler.ClusterPlanning;
import dev.quartet.status.ShortfallMessage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the webhook answers: refusals from SpecValidator, warnings from the plan the operator would make. */
class DeploymentAdmissionTest {

    private static DeploymentAdmission on(TestCluster c) {
        return new DeploymentAdmission(d -> {
            PlanningInput input = c.inputWith(d);
            return Optional.of(new ClusterPlanning.WhatIf(input, TestCluster.plan(input), PlanningSettings.DEFAULTS));
        });
    }

    @Test
    void aSpecThatCanNeverWorkIsRefusedWithSpecValidatorsMessage() {
        InferenceDeployment d = TestCluster.deployment("web", "1g.6gb", 1);
        d.getMetadata().setNamespace("ml");
        d.getSpec().getModel().setUri("http://my_models/m.onnx");

        DeploymentAdmission.Decision decision = on(TestCluster.a30s(1, 1)).review(d, null);

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.message()).isEqualTo("spec.model.uri: 'http://my_models/m.onnx' has no host");
    }

    @Test
    void aSpecTheClusterCanHoldIsAllowedWithoutWarnings() {
        InferenceDeployment d = TestCluster.deployment("web", "1g.6gb", 4);
        d.getMetadata().setNamespace("ml");

        assertThat(on(TestCluster.a30s(1, 1)).review(d, null))
                .isEqualTo(new DeploymentAdmission.Decision(true, null, List.of()));
    }

    @Test
    void aSpecTheClusterCannotHoldNowIsAllowedWithTheStatusSentencesAsWarnings() {
        TestCluster c = TestCluster.a30s(1, 1);
        InferenceDeployment d = TestCluster.deployment("web", "1g.6gb", 6);
        d.getMetadata().setNamespace("ml");

        DeploymentAdmission.Decision decision = on(c).review(d, null);

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.warnings())
                .containsExactly(
                        "ml/web: 2 of 6 replicas have no MIG slice: "
                                + ShortfallMessage.meaning(dev.quartet.planner.UnsatisfiedReason.InsufficientSlices),
                        "ml/web: would fit: add a node like a (1 x A30): 2 more replicas fit there");
    }

    @Test
    void gpusWithMigModeOffAreNamedInTheWarningsAsInTheStatus() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.nodes.add(dev.quartet.inventory.TestNodes.node(
                        "off",
                        "NVIDIA-A30",
                        2,
                        "all-disabled",
                        "success",
                        java.util.Map.of(
                                dev.quartet.nvidia.NvidiaLabels.FULL_GPU_RESOURCE,
                                new io.fabric8.kubernetes.api.model.Quantity("2")))
                .build());
        InferenceDeployment d = TestCluster.deployment("web", "1g.6gb", 6);
        d.getMetadata().setNamespace("ml");

        DeploymentAdmission.Decision decision = on(c).review(d, null);

        assertThat(decision.warnings())
                .contains("ml/web: GPU(s) [0, 1] of off have MIG mode off; Quartet changes MIG mode only when the"
                        + " chart value migManager.allowMigModeChange is true (a mode change resets the GPU and may"
                        + " reboot the node)");
    }

    @Test
    void anUpdateThatLeavesTheSpecAloneIsNotPlanned() {
        InferenceDeployment old = TestCluster.deployment("web", "1g.6gb", 6);
        old.getMetadata().setNamespace("ml");
        InferenceDeployment labelled = TestCluster.deployment("web", "1g.6gb", 6);
        labelled.getMetadata().setNamespace("ml");
        labelled.getMetadata().setLabels(java.util.Map.of("team", "vision"));

        DeploymentAdmission admission = new DeploymentAdmission(d -> {
            throw new AssertionError("no planning for a spec that did not change");
        });
        assertThat(admission.review(labelled, old).warnings()).isEmpty();
    }

    @Test
    void aChangedSliceThatMustWaitSaysSoFirst() {
        TestCluster c = TestCluster.a30s(1, 1);
        c.deploy(TestCluster.deployment("web", "1g.6gb", 2));
        c.fill1g("web", 2, "a");
        InferenceDeployment old = c.deployments.get(0);
        InferenceDeployment bigger = TestCluster.deployment("web", "2g.12gb", 2);
        bigger.getMetadata().setNamespace("ml");

        DeploymentAdmission.Decision decision = on(c).review(bigger, old);

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.warnings().get(0))
                .isEqualTo("ml/web: the new slice is rolled out one replica at a time, each once a slice for it is"
                        + " free; the replicas of the old slice keep theirs until then");
        assertThat(decision.warnings().get(1))
                .isEqualTo("ml/web: 2 of 2 replicas have no MIG slice: free slices exist only on GPUs whose running"
                        + " replicas may not move");
        assertThat(decision.warnings()).anyMatch(w -> w.startsWith("ml/web: would fit: raise spec.maxUnavailable"));
    }
}
