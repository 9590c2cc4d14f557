package dev.quartet.worker;

import java.util.List;
import java.util.Optional;

/** A model's inputs (in the order the engine takes them) and outputs (in the order it returns them). */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

    /** Whether requests can be merged: every input's first dimension is dynamic. */
    public boolean batchable() {
        return !inputs.isEmpty() && inputs.stream().allMatch(TensorSpec::batchable);
    }

    /** The output with this name. */
    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst();
    }
}
