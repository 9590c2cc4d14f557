package dev.quartet.dependent;

import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;

/**
 * A child named like its InferenceDeployment (Service, PodDisruptionBudget). Its informer sees only Quartet's
 * objects, so an object of the same name that someone else made looks missing, and creating ours by server-side
 * apply would take it over: rewrite its spec and make the deployment its owner, so deleting the deployment would
 * delete it. Creation refuses such an object instead, with a message the reconciler reports in the Degraded
 * condition. Updates are server-side applies under Quartet's field manager ({@code FieldManager}).
 */
abstract class OwnedChildDependentResource<R extends HasMetadata>
        extends CRUDKubernetesDependentResource<R, InferenceDeployment> {

    OwnedChildDependentResource(Class<R> type) {
        super(type);
    }

    @Override
    public R create(R desired, InferenceDeployment primary, Context<InferenceDeployment> context) {
        HasMetadata existing = context.getClient()
                .resource(desired)
                .inNamespace(primary.getMetadata().getNamespace())
                .get();
        if (existing != null
                && existing.getMetadata().getOwnerReferences().stream()
                        .noneMatch(o -> primary.getMetadata().getUid().equals(o.getUid()))) {
            throw new NameTakenException(existing.getKind() + " "
                    + existing.getMetadata().getName()
                    + " already exists in namespace " + existing.getMetadata().getNamespace()
                    + " and is not this deployment's; rename the InferenceDeployment or remove that "
                    + existing.getKind());
        }
        return super.create(desired, primary, context);
    }
}
