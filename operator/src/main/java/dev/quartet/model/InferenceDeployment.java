package dev.quartet.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An inference model served by replicas that each run on one NVIDIA MIG slice.
 *
 * <p>The two rules on the whole object hold when it is created (the one on spec also when an update removes it).
 * Names are immutable, and a rule at the root sees every update, status included: without {@code oldSelf}, an object
 * stored before the rules existed could never again take a status update, not even the one saying its name is
 * InvalidSpec. The API server refuses a {@code fieldPath} to {@code metadata}, which the generated schema does not
 * declare, so these errors come without a field path and their messages name the field.
 */
@ValidationRule(
        value = "oldSelf.hasValue() || self.metadata.name.size() <= 63"
                + " && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
        optionalOldSelf = true,
        messageExpression = "\"metadata.name: \" + self.metadata.name + \" cannot name the deployment's Service; use at"
                + " most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or"
                + " digit\"",
        message = "metadata.name: cannot name the deployment's Service; use at most 63 lowercase letters, digits and"
                + " '-', starting with a letter and ending with a letter or digit",
        reason = "FieldValueInvalid")
@ValidationRule(
        value = "has(self.spec) || oldSelf.hasValue() && !has(oldSelf.value().spec)",
        optionalOldSelf = true,
        message = "spec: required",
        reason = "FieldValueRequired")
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
        name = "Generation",
        type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".metadata.generation")
@AdditionalPrinterColumn(
        name = "Observed",
        type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.observedGeneration")
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
