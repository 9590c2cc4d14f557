package dev.quartet.worker;

import java.util.List;

/**
 * A model input or output as read from the model: name, datatype, shape ({@code -1} = dynamic) and, where the
 * model names it, the symbolic name of a dynamic first dimension (ONNX {@code dim_param}, such as "batch"; else
 * null).
 */
public record TensorSpec(String name, Datatype datatype, List<Long> shape, String firstDimName) {

    public TensorSpec(String name, Datatype datatype, List<Long> shape) {
        this(name, datatype, shape, null);
    }

    /** True when the first dimension is dynamic, so requests can be stacked along it. */
    public boolean batchable() {
        return !shape.isEmpty() && shape.get(0) == -1;
    }

    /** This spec as OIP metadata. */
    public Oip.TensorMetadata toMetadata() {
        return new Oip.TensorMetadata(name, datatype.name(), shape);
    }
}
