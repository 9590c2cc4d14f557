package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** One input or output of a model, in Open Inference Protocol terms. */
public class TensorDescription {

    @Required
    @Size(min = 1, max = 256)
    @JsonPropertyDescription("The tensor's name, as clients send or receive it.")
    private String name;

    @Required
    @Pattern("^(BOOL|UINT8|INT8|INT16|INT32|INT64|FP16|FP32|FP64)$")
    @JsonPropertyDescription("The OIP datatype: BOOL, UINT8, INT8, INT16, INT32, INT64, FP16, FP32 or FP64.")
    private String datatype;

    @Required
    @Size(min = 0, max = 16)
    @ValidationRule(
            value = "self.all(d, d == -1 || d >= 1)",
            message = "spec.model.signature: a shape's sizes are at least 1, or -1 for any size")
    @JsonPropertyDescription("The shape; -1 for a dimension of any size (the first, for a batch).")
    private List<Long> shape;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getDatatype() {
        return datatype;
    }

    public void setDatatype(String datatype) {
        this.datatype = datatype;
    }

    public List<Long> getShape() {
        return shape;
    }

    public void setShape(List<Long> shape) {
        this.shape = shape;
    }
}
