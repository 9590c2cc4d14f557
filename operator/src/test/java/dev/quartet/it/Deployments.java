package dev.quartet.it;

import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.ModelFormat;
import dev.quartet.model.ModelSpec;
import dev.quartet.model.SliceSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Builders of InferenceDeployments for tests. */
final class Deployments {

    private Deployments() {
    }

    static InferenceDeployment of(String name, String profile, int replicas) {
        InferenceDeployment d = new InferenceDeployment();
        d.setMetadata(new ObjectMetaBuilder().withName(name).build());
        InferenceDeploymentSpec spec = new InferenceDeploymentSpec();
        ModelSpec model = new ModelSpec();
        model.setUri("file:///models/tiny-resnet.onnx");
        model.setFormat(ModelFormat.ONNX);
        spec.setModel(model);
        SliceSpec slice = new SliceSpec();
        slice.setProfile(profile);
        spec.setSlice(slice);
        spec.setReplicas(replicas);
        d.setSpec(spec);
        return d;
    }

    static InferenceDeployment movable(String name, String profile, int replicas) {
        InferenceDeployment d = of(name, profile, replicas);
        d.getSpec().setMovable(true);
        return d;
    }

    static InferenceDeployment onNode(InferenceDeployment d, String node) {
        d.getSpec().getWorker().getNodeSelector().put("kubernetes.io/hostname", node);
        return d;
    }

    static InferenceDeployment withPriority(InferenceDeployment d, int priority) {
        d.getSpec().setPriority(priority);
        return d;
    }
}
