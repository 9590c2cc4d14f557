package dev.quartet.worker;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads a model's input and output names, datatypes and shapes from the model file itself. */
public final class SignatureReader {

    /** The TorchScript extra file (written by make-models.py) that may describe the module's tensors. */
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

    /** The file beside a model that may describe its tensors: {@code <model file>.signature.json}. */
    public static Path besideFile(Path model) {
        return model.resolveSibling(model.getFileName() + ".signature.json");
    }

    /**
     * The signature the worker serves {@code file} with. What describes the tensors, first found wins:
     * {@code configured} (QUARTET_MODEL_SIGNATURE, from the InferenceDeployment's spec.model.signature), the file
     * beside the model ({@link #besideFile}), the TorchScript file's own {@code quartet.json} extra file
     * ({@code embedded}). An ONNX file always describes itself; a description given for it may only pin what the
     * file leaves open (symbolic dimensions). A TorchScript file that nothing describes is served from its requests
     * ({@link ModelSignature#unknown()}).
     *
     * @throws IllegalStateException when a description is invalid or contradicts the ONNX file
     */
    public static ModelSignature resolve(
            Path file, ModelFormat format, String embedded, Optional<String> configured, ObjectMapper mapper) {
        Optional<ModelSignature> given = configured
                .filter(c -> !c.isBlank())
                .map(json -> parse(json, "QUARTET_MODEL_SIGNATURE (spec.model.signature)", mapper));
        Path beside = besideFile(file);
        if (given.isEmpty() && Files.isRegularFile(beside)) {
            try {
                given = Optional.of(parse(Files.readString(beside), beside.toString(), mapper));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + beside + ": " + e.getMessage(), e);
            }
        }
        if (format == ModelFormat.ONNX) {
            ModelSignature own = onnx(file);
            return given.map(g -> pin(own, g)).orElse(own);
        }
        if (given.isEmpty() && embedded != null && !embedded.isBlank()) {
            given = Optional.of(parse(embedded, "the model file's " + TORCHSCRIPT_METADATA + " extra file", mapper));
        }
        return given.orElseGet(ModelSignature::unknown);
    }

    /**
     * A description in OIP metadata terms: {@code {"inputs": [{"name", "datatype", "shape"}], "outputs": [...]}},
     * {@code -1} for a dimension of any size; either list may be left out (then it is taken from requests or the
     * engine), not both.
     */
    static ModelSignature parse(String json, String source, ObjectMapper mapper) {
        Described described;
        try {
            described = mapper.readValue(json, Described.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("invalid signature in " + source + ": " + e.getOriginalMessage(), e);
        }
        List<TensorSpec> inputs = toSpecs(described.inputs(), source);
        List<TensorSpec> outputs = toSpecs(described.outputs(), source);
        if (inputs.isEmpty() && outputs.isEmpty()) {
            throw new IllegalStateException("the signature in " + source + " lists neither inputs nor outputs");
        }
        return new ModelSignature(inputs, outputs, source);
    }

    private static List<TensorSpec> toSpecs(List<Oip.TensorMetadata> tensors, String source) {
        if (tensors == null) {
            return List.of();
        }
        List<TensorSpec> specs = new ArrayList<>();
        for (Oip.TensorMetadata t : tensors) {
            String what = "the signature in " + source + ": tensor " + (t == null ? null : t.name());
            if (t == null || t.name() == null || t.name().isBlank()) {
                throw new IllegalStateException("the signature in " + source + " has a tensor without a name");
            }
            Datatype datatype = Datatype.parse(t.datatype())
                    .orElseThrow(() -> new IllegalStateException(what + " has unsupported datatype " + t.datatype()));
            if (t.shape() == null || t.shape().stream().anyMatch(d -> d == null || d == 0 || d < -1)) {
                throw new IllegalStateException(
                        what + " needs a shape of sizes of at least 1, or -1 for any size, not " + t.shape());
            }
            if (specs.stream().anyMatch(s -> s.name().equals(t.name()))) {
                throw new IllegalStateException(what + " is listed twice");
            }
            specs.add(new TensorSpec(t.name(), datatype, List.copyOf(t.shape())));
        }
        return specs;
    }

    /** The ONNX file's signature with the dimensions it leaves open pinned where {@code given} fixes them. */
    static ModelSignature pin(ModelSignature own, ModelSignature given) {
        return new ModelSignature(
                pin(own.inputs(), given.inputs(), "input", given.source()),
                pin(own.outputs(), given.outputs(), "output", given.source()),
                "model file, with shapes from " + given.source());
    }

    private static List<TensorSpec> pin(List<TensorSpec> own, List<TensorSpec> given, String kind, String source) {
        for (TensorSpec g : given) {
            if (own.stream().noneMatch(o -> o.name().equals(g.name()))) {
                throw new IllegalStateException(source + " names " + kind + " '" + g.name()
                        + "', which the model does not have; it has "
                        + own.stream().map(TensorSpec::name).toList());
            }
        }
        List<TensorSpec> pinned = new ArrayList<>();
        for (TensorSpec o : own) {
            Optional<TensorSpec> g =
                    given.stream().filter(x -> x.name().equals(o.name())).findFirst();
            if (g.isEmpty()) {
                pinned.add(o);
                continue;
            }
            String what = source + ": " + kind + " '" + o.name() + "'";
            if (g.get().datatype() != o.datatype()) {
                throw new IllegalStateException(
                        what + " is " + g.get().datatype() + " but the model's is " + o.datatype());
            }
            List<Long> mine = o.shape();
            List<Long> theirs = g.get().shape();
            if (mine.size() != theirs.size()) {
                throw new IllegalStateException(
                        what + " has shape " + theirs + " but the model's is " + mine + " (another rank)");
            }
            List<Long> shape = new ArrayList<>();
            for (int d = 0; d < mine.size(); d++) {
                if (mine.get(d) >= 0 && theirs.get(d) >= 0 && !mine.get(d).equals(theirs.get(d))) {
                    throw new IllegalStateException(
                            what + " has shape " + theirs + " but the model fixes " + mine + " at dimension " + d);
                }
                shape.add(mine.get(d) >= 0 ? mine.get(d) : theirs.get(d));
            }
            pinned.add(new TensorSpec(o.name(), o.datatype(), shape, shape.get(0) < 0 ? o.firstDimName() : null));
        }
        return pinned;
    }

    /** The shape of a signature description: OIP tensor metadata for inputs and outputs. */
    record Described(List<Oip.TensorMetadata> inputs, List<Oip.TensorMetadata> outputs) {}
}
