package dev.quartet.worker;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** One model loaded into its DJL engine on the device this process sees, with its signature. */
public final class LoadedModel implements AutoCloseable {

    private final Model model;
    private final ModelFormat format;
    private final ModelSignature signature;
    private final Device device;

    private LoadedModel(Model model, ModelFormat format, ModelSignature signature, Device device) {
        this.model = model;
        this.format = format;
        this.signature = signature;
        this.device = device;
    }

    /**
     * Loads {@code file} with the engine of {@code format}, on the GPU when the engine sees one, else the CPU;
     * an ONNX model's calls use {@code threadsPerCall} CPU threads each (see {@link EngineSettings#threadsPerCall}).
     */
    public static LoadedModel load(Path file, ModelFormat format, ObjectMapper mapper, int threadsPerCall)
            throws IOException, MalformedModelException {
        return load(file, format, mapper, threadsPerCall, Optional.empty());
    }

    /**
     * Loads {@code file} as {@link #load(Path, ModelFormat, ObjectMapper, int)} does, with its signature resolved by
     * {@link SignatureReader#resolve} ({@code configuredSignature}: QUARTET_MODEL_SIGNATURE).
     */
    public static LoadedModel load(
            Path file,
            ModelFormat format,
            ObjectMapper mapper,
            int threadsPerCall,
            Optional<String> configuredSignature)
            throws IOException, MalformedModelException {
        EngineSettings.apply();
        Device device = Engine.getEngine(format.engine()).defaultDevice();
        Model model;
        try {
            model = open(file, format, device, threadsPerCall);
        } catch (RuntimeException | IOException | MalformedModelException e) {
            if (device.isGpu()) {
                Log.warnf(
                        "Loading %s on %s failed (%s); falling back to the CPU. A GPU image needs the CUDA "
                                + "flavour of the engine's natives (see worker-image/README.md)",
                        file, device, e);
                device = Device.cpu();
                model = open(file, format, device, threadsPerCall);
            } else {
                throw e;
            }
        }
        ModelSignature signature;
        try {
            signature = SignatureReader.resolve(
                    file, format, model.getProperty(SignatureReader.TORCHSCRIPT_METADATA), configuredSignature, mapper);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new LoadedModel(model, format, signature, device);
    }

    private static Model open(Path file, ModelFormat format, Device device, int threadsPerCall)
            throws IOException, MalformedModelException {
        Map<String, Object> options = new HashMap<>();
        if (format == ModelFormat.TORCHSCRIPT) {
            options.put("extraFiles", SignatureReader.TORCHSCRIPT_METADATA);
            options.put("mapLocation", "true");
        } else {
            options.put("sessionOptions", EngineSettings.onnxSessionOptions());
            options.put("intraOpNumThreads", String.valueOf(threadsPerCall));
        }
        Model model = Model.newInstance(file.getFileName().toString(), device, format.engine());
        try {
            model.load(file, null, options);
            return model;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A manager for one batch's arrays; closing it frees every array made for or by the batch. */
    public NDManager newBatchManager() {
        return model.getNDManager().newSubManager();
    }

    /** Runs the model; outputs are attached to the inputs' manager. */
    public NDList forward(NDList inputs) {
        return model.getBlock().forward(new ParameterStore(inputs.head().getManager(), false), inputs, false);
    }

    /** Inputs and outputs as read from the model. */
    public ModelSignature signature() {
        return signature;
    }

    /** The file format (and so the engine). */
    public ModelFormat format() {
        return format;
    }

    /** DJL's name of the device the model runs on. */
    public Device device() {
        return device;
    }

    /** The engine's version, for metadata. */
    public String engineVersion() {
        return Engine.getEngine(format.engine()).getVersion();
    }

    @Override
    public void close() {
        model.close();
    }
}
