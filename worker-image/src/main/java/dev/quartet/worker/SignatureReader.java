package dev.quartet.worker;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Reads a model's input and output names, datatypes and shapes from the model file itself. */
public final class SignatureReader {

    /** The TorchScript extra file (written by make-models.py) that describes the module's tensors. */
    public static final String TORCHSCRIPT_METADATA = "quartet.json";

    private SignatureReader() {}

    /** ONNX: asks ONNX Runtime, through a short-lived unoptimised session. */
    public static ModelSignature onnx(Path file) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = OrtEnvironment.getEnvironment().createSession(file.toString(), options)) {
                return new ModelSignature(specs(session.getInputInfo()), specs(session.getOutputInfo()));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> nodes) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : nodes.values()) {
            if (!(node.getInfo() instanceof TensorInfo info)) {
                throw new IllegalStateException("'" + node.getName() + "' is not a tensor (" + node.getInfo()
                        + "); the worker serves tensor inputs and outputs only");
            }
            List<Long> shape = Arrays.stream(info.getShape())
                    .map(d -> d < 0 ? -1 : d)
                    .boxed()
                    .toList();
            String[] dimNames = info.getDimensionNames();
            String first = !shape.isEmpty()
                            && shape.get(0) < 0
                            && dimNames != null
                            && dimNames.length > 0
                            && dimNames[0] != null
                            && !dimNames[0].isEmpty()
                    ? dimNames[0]
                    : null;
            specs.add(new TensorSpec(node.getName(), onnxDatatype(node.getName(), info.onnxType), shape, first));
        }
        return specs;
    }

    private static Datatype onnxDatatype(String name, TensorInfo.OnnxTensorType type) {
        return switch (type) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> Datatype.BOOL;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> Datatype.UINT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> Datatype.INT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 ->
                throw new IllegalStateException("tensor '" + name
                        + "' is INT16, which DJL's ONNX Runtime binding cannot pass; export it as INT32");
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> Datatype.INT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> Datatype.INT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> Datatype.FP16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> Datatype.FP32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> Datatype.FP64;
            default ->
                throw new IllegalStateException(
                        "tensor '" + name + "' has type " + type + ", which the worker does not serve");
        };
    }

    /** TorchScript records no shapes or dtypes, so the module carries them in its {@code quartet.json} extra file. */
    public static ModelSignature torchScript(String json, ObjectMapper mapper) {
        if (json == null || json.isBlank()) {
            throw new IllegalStateException("the TorchScript file has no '" + TORCHSCRIPT_METADATA
                    + "' extra file describing its inputs and outputs; save it with torch.jit.save(module, path,"
                    + " _extra_files={'quartet.json': ...}) as worker-image/models/make-models.py does");
        }
        try {
            Described described = mapper.readValue(json, Described.class);
            return new ModelSignature(toSpecs(described.inputs()), toSpecs(described.outputs()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("invalid " + TORCHSCRIPT_METADATA + ": " + e.getOriginalMessage(), e);
        }
    }

    private static List<TensorSpec> toSpecs(List<Oip.TensorMetadata> tensors) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalStateException(TORCHSCRIPT_METADATA + " must list inputs and outputs");
        }
        return tensors.stream()
                .map(t -> new TensorSpec(
                        t.name(),
                        Datatype.parse(t.datatype())
                                .orElseThrow(() -> new IllegalStateException(
                                        "unsupported datatype " + t.datatype() + " for " + t.name())),
                        List.copyOf(t.shape())))
                .toList();
    }

    /** The shape of {@code quartet.json}: OIP tensor metadata for inputs and outputs. */
    record Described(List<Oip.TensorMetadata> inputs, List<Oip.TensorMetadata> outputs) {}
}
