package dev.quartet.model;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** InferenceDeployments as a user would write them, for tests of every tier. */
public final class TestDeployments {

    private TestDeployments() {}

    /** model (ONNX from the worker image), slice profile and replicas; everything else defaulted. */
    public static InferenceDeploymentSpec spec(String profile, int replicas) {
        ModelSpec model = new ModelSpec();
        model.setUri("file:///models/tiny-resnet.onnx");
        model.setFormat(ModelFormat.ONNX);
        SliceSpec slice = new SliceSpec();
        slice.setProfile(profile);
        InferenceDeploymentSpec spec = new InferenceDeploymentSpec();
        spec.setModel(model);
        spec.setSlice(slice);
        spec.setReplicas(replicas);
        return spec;
    }

    public static InferenceDeployment of(String name, String profile, int replicas) {
        InferenceDeployment d = new InferenceDeployment();
        d.setMetadata(new ObjectMetaBuilder().withName(name).build());
        d.setSpec(spec(profile, replicas));
        return d;
    }

    public static InferenceDeployment movable(String name, String profile, int replicas) {
        InferenceDeployment d = of(name, profile, replicas);
        d.getSpec().setMovable(true);
        return d;
    }

    public static InferenceDeployment onNode(InferenceDeployment d, String node) {
        d.getSpec().getWorker().getNodeSelector().put("kubernetes.io/hostname", node);
        return d;
    }

    public static InferenceDeployment withPriority(InferenceDeployment d, int priority) {
        d.getSpec().setPriority(priority);
        return d;
    }
}
