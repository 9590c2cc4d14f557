package dev.quartet.dependent;

import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The same budget through {@code policy/v1beta1}, for servers older than 1.21. */
@KubernetesDependent(
        createResourceOnlyIfNotExistingWithSSA = false,
        informer = @Informer(labelSelector = "app.kubernetes.io/managed-by=quartet"))
public class InferenceDeploymentPodDisruptionBudgetV1beta1DependentResource
        extends OwnedChildDependentResource<PodDisruptionBudget> {

    public InferenceDeploymentPodDisruptionBudgetV1beta1DependentResource() {
        super(PodDisruptionBudget.class);
    }

    @Override
    protected PodDisruptionBudget desired(InferenceDeployment d, Context<InferenceDeployment> context) {
        return new PodDisruptionBudgetBuilder()
                .withMetadata(ReplicaPodFactory.childMetadata(d))
                .withNewSpec()
                .withMaxUnavailable(
                        new IntOrString(InferenceDeploymentPodDisruptionBudgetDependentResource.maxUnavailable(d)))
                .withNewSelector()
                .withMatchLabels(ReplicaPodFactory.selectorLabels(d))
                .endSelector()
                .endSpec()
                .build();
    }
}
