package dev.quartet.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** An inference model served by replicas that each run on one NVIDIA MIG slice. */
@Group(InferenceDeployment.GROUP)
@Version(InferenceDeployment.VERSION)
@Kind("InferenceDeployment")
@Plural("inferencedeployments")
@Singular("inferencedeployment")
@ShortNames("infd")
@AdditionalPrinterColumn(
        name = "Ready",
        type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
        name = "Replicas",
        type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.replicaSummary")
@AdditionalPrinterColumn(name = "Profile", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.profile")
@AdditionalPrinterColumn(name = "Endpoint", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.endpoint")
@AdditionalPrinterColumn(
        name = "Reason",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(
        name = "Age",
        type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
public class InferenceDeployment extends CustomResource<InferenceDeploymentSpec, InferenceDeploymentStatus>
        implements Namespaced {

    public static final String GROUP = "inference.quartet.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected InferenceDeploymentStatus initStatus() {
        return new InferenceDeploymentStatus();
    }
}
