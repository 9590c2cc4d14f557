package dev.quartet.dependent;

import dev.quartet.config.QuartetConfig;
import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import jakarta.inject.Inject;

/**
 * The ClusterIP Service in front of a deployment's Ready replicas (the worker's readiness probe gates it): port http
 * for the Open Inference Protocol over REST, port grpc for it over gRPC (appProtocol h2c, for meshes and gateways).
 */
@KubernetesDependent(
        createResourceOnlyIfNotExistingWithSSA = false,
        informer = @Informer(labelSelector = "app.kubernetes.io/managed-by=quartet"))
public class InferenceDeploymentServiceDependentResource extends OwnedChildDependentResource<Service> {

    @Inject
    QuartetConfig config;

    public InferenceDeploymentServiceDependentResource() {
        super(Service.class);
    }

    @Override
    protected Service desired(InferenceDeployment d, Context<InferenceDeployment> context) {
        return new ServiceBuilder()
                .withMetadata(ReplicaPodFactory.childMetadata(d))
                .withNewSpec()
                .withType("ClusterIP")
                .withSelector(ReplicaPodFactory.selectorLabels(d))
                .addNewPort()
                .withName(ReplicaPodFactory.PORT_NAME)
                .withPort(config.worker().port())
                .withNewTargetPort(ReplicaPodFactory.PORT_NAME)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName(ReplicaPodFactory.GRPC_PORT_NAME)
                .withPort(config.worker().grpcPort())
                .withNewTargetPort(ReplicaPodFactory.GRPC_PORT_NAME)
                .withProtocol("TCP")
                .withAppProtocol("kubernetes.io/h2c")
                .endPort()
                .endSpec()
                .build();
    }

    /**
     * What clients use: the Service's cluster DNS name with its REST port, then its gRPC port, such as
     * {@code resnet.ml.svc.cluster.local:8080 (REST), :8081 (gRPC)}.
     */
    public static String endpoint(InferenceDeployment d, QuartetConfig.Worker worker) {
        return d.getMetadata().getName() + "." + d.getMetadata().getNamespace() + ".svc.cluster.local:" + worker.port()
                + " (REST), :" + worker.grpcPort() + " (gRPC)";
    }
}
