package dev.quartet.worker;

import java.util.List;
import java.util.Optional;

/** A model's inputs (in the order the engine takes them) and outputs (in the order it returns them). */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

    /**
     * Whether requests can be merged: every input's first dimension is dynamic and, where the model names the
     * inputs' first dimension (one name for all), no output has a dynamic first dimension of another name: such an
     * output (the hits of a detector, say) is not one entry per row, so it could not be cut between requests.
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
}
