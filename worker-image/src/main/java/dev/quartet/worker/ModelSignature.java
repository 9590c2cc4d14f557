package dev.quartet.worker;

import java.util.List;
import java.util.Optional;

/**
 * A model's inputs (in the order the engine takes them) and outputs (in the order it returns them), and where they
 * were learnt. Either list may be empty when nothing describes it (a TorchScript file saved with plain
 * {@code torch.jit.save}): inputs are then taken from each request by position, outputs named by position
 * ({@code OUTPUT__0}, ...) as Triton's PyTorch backend names them.
 */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs, String source) {

    /** What metadata says about a signature the worker had to do without. */
    static final String FROM_REQUESTS = "none: inputs are taken from each request by position (INPUT__<i> in the order"
            + " of i, else in the request's order), with the request's datatypes and shapes";

    /** A signature read from the model file itself. */
    public ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {
        this(inputs, outputs, "model file");
    }

    /** No description at all: inputs and outputs both come from what requests and the engine give. */
    static ModelSignature unknown() {
        return new ModelSignature(List.of(), List.of(), FROM_REQUESTS);
    }

    /** Whether the inputs are known; otherwise each request brings its own. */
    public boolean inputsKnown() {
        return !inputs.isEmpty();
    }

    /**
     * Whether requests can be merged: every input's first dimension is dynamic and, where the model names the
     * inputs' first dimension (one name for all), no output has a dynamic first dimension of another name: such an
     * output (the hits of a detector, say) is not one entry per row, so it could not be cut between requests. Never
     * when the inputs are unknown: nothing says which dimension, if any, is the batch.
     */
    public boolean batchable() {
        if (inputs.isEmpty() || !inputs.stream().allMatch(TensorSpec::batchable)) {
            return false;
        }
        String batch = inputs.get(0).firstDimName();
        if (batch == null || !inputs.stream().allMatch(i -> batch.equals(i.firstDimName()))) {
            return true;
        }
        return outputs.stream()
                .noneMatch(o -> o.batchable() && o.firstDimName() != null && !batch.equals(o.firstDimName()));
    }

    /** The output with this name. */
    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst();
    }

    /** The name of the engine's k-th output when the signature does not name it, as Triton's PyTorch backend does. */
    static String positionalOutput(int k) {
        return "OUTPUT__" + k;
    }
}
