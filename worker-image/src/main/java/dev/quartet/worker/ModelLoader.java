package dev.quartet.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Loads the configured model in the background once HTTP is up (liveness answers, readiness does
 * not), warms it up with one inference, then marks it ready. Any failure stops the worker with exit
 * code 1 and an ERROR line saying what to fix.
 */
@ApplicationScoped
public class ModelLoader {

    private final WorkerConfig config;
    private final ServedModel served;
    private final WorkerMetrics metrics;
    private final ObjectMapper mapper;
    private int threadsPerCall;

    public ModelLoader(WorkerConfig config, ServedModel served, WorkerMetrics metrics, ObjectMapper mapper) {
        this.config = config;
        this.served = served;
        this.metrics = metrics;
        this.mapper = mapper;
    }

    void onStart(@Observes StartupEvent event) {
        EngineSettings.apply();
        // Checked here, on the start-up thread, so that a bad value stops the start with its own message.
        threadsPerCall = EngineSettings.threadsPerCall(
                config.engine().threadsPerCall(), config.batching().workers());
        Thread loader = new Thread(this::load, "model-loader");
        loader.setDaemon(true);
        loader.start();
    }

    private void load() {
        WorkerConfig.Model m = config.model();
        ModelSource source = new ModelSource(Path.of(m.cacheDir()));
        try {
            long start = System.nanoTime();
            Path file = source.resolve(m.uri(), m.sha256());
            ModelFormat format = m.format()
                    .orElse(ModelFormat.fromFileName(file.getFileName().toString()));
            WorkerConfig.Batching b = config.batching();
            LoadedModel model = LoadedModel.load(file, format, mapper, threadsPerCall);
            ServingDevice device = ServingDevice.of(model.device());
            Log.infof(
                    "Model %s (%s, %s) loaded from %s on device %s, MIG device %s%s",
                    m.name(),
                    format.platform(),
                    model.engineVersion(),
                    file,
                    device.device(),
                    device.migDevice(),
                    device.gpu() ? "" : " (CPU: no CUDA device or no CUDA natives in this image)");
            BatchExecutor executor = new BatchExecutor(model, metrics::batch);
            ValidatedRequest zeros = BatchExecutor.warmUpRequest(model.signature(), m.warmUpDynamicSize());
            List<Oip.OutputTensor> warmUp = executor.run(List.of(zeros)).get(0);
            DynamicBatcher batcher = new DynamicBatcher(
                    executor,
                    new DynamicBatcher.Limits(
                            b.maxBatchSize(),
                            TimeUnit.MILLISECONDS.toNanos(b.maxBatchDelayMillis()),
                            b.queueLimit(),
                            b.workers()),
                    model.signature().batchable());
            served.ready(model, batcher, device);
            Log.infof(
                    "Model %s ready after warm-up (%d outputs) in %d ms; batching up to %d rows, %d ms delay,"
                            + " %d workers, queue limit %d%s",
                    m.name(),
                    warmUp.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                    model.signature().batchable() ? b.maxBatchSize() : 1,
                    b.maxBatchDelayMillis(),
                    b.workers(),
                    b.queueLimit(),
                    format == ModelFormat.ONNX ? ", " + threadsPerCall + " CPU threads per engine call" : "");
        } catch (ModelSource.ModelSourceException e) {
            Log.errorf(
                    "Cannot serve model %s: %s. The worker stops; fix QUARTET_MODEL_* and restart.",
                    m.name(), e.getMessage());
            Quarkus.asyncExit(1);
        } catch (Throwable e) {
            // Whatever went wrong (an engine provider's ServiceConfigurationError, an OutOfMemoryError), the loader
            // thread must not end quietly with the worker alive and never Ready.
            Log.errorf(
                    e,
                    "Cannot serve model %s from %s: %s. The worker stops; fix QUARTET_MODEL_* and restart.",
                    m.name(),
                    m.uri(),
                    e.getMessage());
            source.forget(m.uri(), m.sha256());
            Quarkus.asyncExit(1);
        }
    }
}
