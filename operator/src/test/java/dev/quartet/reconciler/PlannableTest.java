package dev.quartet.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentStatus;
import dev.quartet.model.TestDeployments;
import dev.quartet.preview.PlanningInput;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which deployments hold slices in the plan. */
class PlannableTest {

    private static InferenceDeployment degraded(String reason) {
        InferenceDeployment d = TestDeployments.of("web", "1g.6gb", 2);
        InferenceDeploymentStatus status = new InferenceDeploymentStatus();
        Condition c = new ConditionBuilder()
                .withType("Degraded")
                .withStatus("True")
                .withReason(reason)
                .build();
        status.setConditions(List.of(c));
        d.setStatus(status);
        return d;
    }

    @Test
    void aDeploymentStoppedByANameConflictHoldsNoSlices() {
        assertThat(PlanningInput.plannable(TestDeployments.of("web", "1g.6gb", 2)))
                .isTrue();
        assertThat(PlanningInput.plannable(degraded("NameConflict"))).isFalse();
        assertThat(PlanningInput.plannable(degraded("InsufficientSlices"))).isTrue();
    }
}
