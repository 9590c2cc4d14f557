package dev.quartet.worker;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** The KServe Open Inference Protocol v2 REST messages, (de)serialised by Jackson. */
public final class Oip {

    private Oip() {}

    /** {@code POST /v2/models/{name}/infer} body. */
    public record InferRequest(
            String id, Map<String, Object> parameters, List<InputTensor> inputs, List<RequestedOutput> outputs) {}

    /** One input tensor of a request. */
    public record InputTensor(
            String name, List<Long> shape, String datatype, Map<String, Object> parameters, TensorData data) {}

    /** An output the client asks for (all outputs when the list is absent). */
    public record RequestedOutput(String name, Map<String, Object> parameters) {}

    /** Inference response. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferResponse(
            @JsonProperty("model_name") String modelName,
            @JsonProperty("model_version") String modelVersion,
            String id,
            List<OutputTensor> outputs) {}

    /** One output tensor; {@code data} is a primitive array, row-major. */
    public record OutputTensor(String name, String datatype, List<Long> shape, Object data) {}

    /** Every error answer: {@code {"error": "..."}}. */
    public record ErrorBody(String error) {}

    /** {@code GET /v2}. */
    public record ServerMetadata(String name, String version, List<String> extensions) {}

    /** {@code GET /v2/models/{name}}; {@code parameters} says which engine and device serve it. */
    public record ModelMetadata(
            String name,
            List<String> versions,
            String platform,
            List<TensorMetadata> inputs,
            List<TensorMetadata> outputs,
            Map<String, String> parameters) {}

    /** Name, datatype and shape of a model input or output ({@code -1} = any size). */
    public record TensorMetadata(String name, String datatype, List<Long> shape) {}
}
