package dev.quartet.worker;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import java.io.IOException;
import java.nio.file.Path;

/** One model loaded into its DJL engine on the device this process sees, with its signature. */
public final class LoadedModel implements AutoCloseable {

    private final ZooModel<NDList, NDList> model;
    private final ModelFormat format;
    private final ModelSignature signature;
    private final Device device;

    private LoadedModel(ZooModel<NDList, NDList> model, ModelFormat format, ModelSignature signature, Device device) {
        this.model = model;
        this.format = format;
        this.signature = signature;
        this.device = device;
    }

    /** Loads {@code file} with the engine of {@code format}, on the GPU when the engine sees one, else the CPU. */
    public static LoadedModel load(Path file, ModelFormat format, ObjectMapper mapper)
            throws IOException, MalformedModelException, ModelNotFoundException {
        EngineSettings.apply();
        Device device = Engine.getEngine(format.engine()).defaultDevice();
        ZooModel<NDList, NDList> model;
        try {
            model = criteria(file, format, device).loadModel();
        } catch (RuntimeException | IOException | MalformedModelException e) {
            if (device.isGpu()) {
                Log.warnf("Loading %s on %s failed (%s); falling back to the CPU. A GPU image needs the CUDA "
                        + "flavour of the engine's natives (see worker-image/README.md)", file, device, e);
                device = Device.cpu();
                model = criteria(file, format, device).loadModel();
            } else {
                throw e;
            }
        }
        ModelSignature signature = format == ModelFormat.ONNX ? SignatureReader.onnx(file)
                : SignatureReader.torchScript(model.getProperty(SignatureReader.TORCHSCRIPT_METADATA), mapper);
        return new LoadedModel(model, format, signature, device);
    }

    private static Criteria<NDList, NDList> criteria(Path file, ModelFormat format, Device device) {
        Criteria.Builder<NDList, NDList> builder = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(file).optEngine(format.engine()).optDevice(device)
                .optTranslator(new NoopTranslator());
        if (format == ModelFormat.TORCHSCRIPT) {
            builder.optOption("extraFiles", SignatureReader.TORCHSCRIPT_METADATA).optOption("mapLocation", "true");
        }
        return builder.build();
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
