package dev.quartet.dependent;

import dev.quartet.model.InferenceDeployment;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** Activates the {@code policy/v1beta1} budget dependent on servers older than 1.21. */
public class OnlyPolicyV1beta1Available implements Condition<Object, InferenceDeployment> {
    @Override
    public boolean isMet(
            DependentResource<Object, InferenceDeployment> dependent,
            InferenceDeployment primary,
            Context<InferenceDeployment> context) {
        return !DisruptionBudgetApi.servesV1(context.getClient());
    }
}
