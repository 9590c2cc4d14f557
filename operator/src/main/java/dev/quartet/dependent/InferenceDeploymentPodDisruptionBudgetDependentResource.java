package dev.quartet.dependent;

import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The {@code policy/v1} PodDisruptionBudget that makes Quartet's evictions (and node drains) respect spec.maxUnavailable. */
@KubernetesDependent(
        createResourceOnlyIfNotExistingWithSSA = false,
        informer = @Informer(labelSelector = "app.kubernetes.io/managed-by=quartet"))
public class InferenceDeploymentPodDisruptionBudgetDependentResource
        extends OwnedChildDependentResource<PodDisruptionBudget> {

    public InferenceDeploymentPodDisruptionBudgetDependentResource() {
        super(PodDisruptionBudget.class);
    }

    @Override
    protected PodDisruptionBudget desired(InferenceDeployment d, Context<InferenceDeployment> context) {
        return new PodDisruptionBudgetBuilder()
                .withMetadata(ReplicaPodFactory.childMetadata(d))
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(maxUnavailable(d)))
                .withNewSelector()
                .withMatchLabels(ReplicaPodFactory.selectorLabels(d))
                .endSelector()
                .endSpec()
                .build();
    }

    public static int maxUnavailable(InferenceDeployment d) {
        return d.getSpec().getMaxUnavailable() == null ? 1 : d.getSpec().getMaxUnavailable();
    }
}
