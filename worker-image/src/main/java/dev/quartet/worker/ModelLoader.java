package dev.quartet.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
            LoadedModel model = LoadedModel.load(file, format, mapper, threadsPerCall, m.signature());
            ServingDevice device = ServingDevice.of(model.device());
            Log.infof(
                    "Model %s (%s, %s) loaded from %s on device %s, MIG device %s%s; signature from %s",
                    m.name(),
                    format.platform(),
                    model.engineVersion(),
                    file,
                    device.device(),
                    device.migDevice(),
                    device.gpu() ? "" : " (CPU: no CUDA device or no CUDA natives in this image)",
                    model.signature().source());
            Optional<String> refusal = device.refusal(config.engine().allowCpuFallback());
            if (refusal.isPresent()) {
                model.close();
                stop(ServingDevice.REFUSED_EXIT_CODE, "Not serving model " + m.name() + ": " + refusal.get());
                return;
            }
            if (!device.gpu() && device.deviceAssigned()) {
                Log.warnf(
                        "Model %s serves on the CPU although this replica was given %s: CPU fallback is allowed"
                                + " (QUARTET_ENGINE_ALLOW_CPU_FALLBACK)",
                        m.name(), device.migDevice());
            }
            BatchExecutor executor = new BatchExecutor(model, metrics::batch);
            String warmUp = warmUp(model, executor, m);
            boolean batchable = model.signature().batchable();
            DynamicBatcher batcher = new DynamicBatcher(
                    executor,
                    new DynamicBatcher.Limits(
                            b.maxBatchSize(),
                            TimeUnit.MILLISECONDS.toNanos(b.maxBatchDelayMillis()),
                            b.queueLimit(),
                            b.workers()),
                    batchable);
            String batching = batchable
                    ? "up to " + b.maxBatchSize() + " rows per engine call"
                    : "off: "
                            + (model.signature().inputsKnown()
                                    ? "an input's first dimension is fixed, or an output is not one row per input row"
                                    : "the inputs are unknown, so nothing says which dimension is the batch");
            served.ready(model, batcher, device, warmUp, batching);
            Log.infof(
                    "Model %s ready in %d ms (warm-up: %s); batching %s, %d ms delay, %d workers, queue limit %d%s",
                    m.name(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                    warmUp,
                    batching,
                    b.maxBatchDelayMillis(),
                    b.workers(),
                    b.queueLimit(),
                    format == ModelFormat.ONNX ? ", " + threadsPerCall + " CPU threads per engine call" : "");
        } catch (ModelSource.ModelSourceException e) {
            stop(
                    1,
                    "Cannot serve model " + m.name() + ": " + e.getMessage()
                            + ". The worker stops; fix QUARTET_MODEL_* and restart.");
        } catch (Throwable e) {
            // Whatever went wrong (an engine provider's ServiceConfigurationError, an OutOfMemoryError), the loader
            // thread must not end quietly with the worker alive and never Ready.
            Log.errorf(e, "Cannot serve model %s from %s", m.name(), m.uri());
            source.forget(m.uri(), m.sha256());
            stop(
                    1,
                    "Cannot serve model " + m.name() + " from " + m.uri() + ": " + e.getMessage()
                            + ". The worker stops; fix QUARTET_MODEL_* and restart.");
        }
    }

    /**
     * One inference on zeros shaped like the inputs; returns what metadata reports. A failure stops the worker,
     * unless the warm-up had to guess sizes the model leaves open (symbolic dimensions): then the worker serves, with
     * a WARN, and requests of the sizes the model really takes work (a signature pinning them avoids the guess).
     */
    private String warmUp(LoadedModel model, BatchExecutor executor, WorkerConfig.Model m) {
        Optional<ValidatedRequest> zeros = BatchExecutor.warmUpRequest(model.signature(), m.warmUpDynamicSize());
        if (zeros.isEmpty()) {
            Log.warnf(
                    "Model %s: nothing describes its inputs, so there is no warm-up; each request's inputs go to the"
                            + " model by position. Give spec.model.signature (QUARTET_MODEL_SIGNATURE) or a"
                            + " <model file>.signature.json beside it for checked requests, batching and a warm-up",
                    m.name());
            return "none: the inputs are unknown";
        }
        try {
            executor.run(List.of(zeros.get()));
            return "ok";
        } catch (RuntimeException e) {
            if (!BatchExecutor.warmUpGuesses(model.signature())) {
                throw e;
            }
            Log.warnf(
                    "Model %s: the warm-up with %d for every dimension the model leaves open failed (%s); serving"
                            + " without it. Pin those dimensions in spec.model.signature (QUARTET_MODEL_SIGNATURE)",
                    m.name(), m.warmUpDynamicSize(), e.getMessage());
            return "skipped: sizes guessed for the model's open dimensions failed (" + e.getMessage() + ")";
        }
    }

    /** Logs why the worker stops, leaves it as the container's termination message, and exits with {@code status}. */
    private void stop(int status, String why) {
        Log.error(why);
        TerminationMessage.write(Path.of(config.terminationMessagePath()), why);
        Quarkus.asyncExit(status);
    }
}
