package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * The model's inputs and outputs, for a model file that does not describe them (TorchScript saved with plain
 * torch.jit.save) or leaves dimensions open (ONNX symbolic dimensions). Passed to the worker as
 * QUARTET_MODEL_SIGNATURE.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "has(self.inputs) || has(self.outputs)",
        message = "spec.model.signature: list inputs, outputs or both")
public class ModelSignature {

    @Size(min = 1, max = 64)
    @ValidationRule(
            value = "self.all(t, self.exists_one(u, u.name == t.name))",
            message = "spec.model.signature.inputs: every name once")
    @JsonPropertyDescription("The inputs, in the order the model's forward() takes them (TorchScript); for ONNX, any of"
            + " its inputs, by name, whose open (-1) dimensions this fixes.")
    private List<TensorDescription> inputs;

    @Size(min = 1, max = 64)
    @ValidationRule(
            value = "self.all(t, self.exists_one(u, u.name == t.name))",
            message = "spec.model.signature.outputs: every name once")
    @JsonPropertyDescription(
            "The outputs, in the order the model returns them; outputs past the list are named" + " OUTPUT__<i>.")
    private List<TensorDescription> outputs;

    public List<TensorDescription> getInputs() {
        return inputs;
    }

    public void setInputs(List<TensorDescription> inputs) {
        this.inputs = inputs;
    }

    public List<TensorDescription> getOutputs() {
        return outputs;
    }

    public void setOutputs(List<TensorDescription> outputs) {
        this.outputs = outputs;
    }
}
