package dev.quartet.worker;

import io.quarkus.logging.Log;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The one model this worker serves: not ready until loaded and warmed up, then validates and batches requests. */
@ApplicationScoped
public class ServedModel {

    /** What readiness and metadata report. */
    private record Serving(
            LoadedModel model,
            RequestValidator validator,
            DynamicBatcher batcher,
            ServingDevice device,
            String warmUp,
            String batching) {}

    private volatile Serving serving;

    /** Called once the model is loaded and one warm-up inference succeeded. */
    public void ready(LoadedModel model, DynamicBatcher batcher, ServingDevice device) {
        ready(model, batcher, device, "ok", "as configured");
    }

    /**
     * Called once the model is loaded and warmed up, or could not be ({@code warmUp} says which, for metadata), and
     * serves it with {@code batcher} ({@code batching} says how, for metadata).
     */
    public void ready(LoadedModel model, DynamicBatcher batcher, ServingDevice device, String warmUp, String batching) {
        Serving previous = serving;
        serving = new Serving(model, new RequestValidator(model.signature()), batcher, device, warmUp, batching);
        if (previous != null) {
            retire(previous, previous.model() != model);
        }
    }

    /** True after load and warm-up. */
    public boolean isReady() {
        return serving != null;
    }

    /** Requests waiting for the engine (0 before ready). */
    public int queueDepth() {
        Serving s = serving;
        return s == null ? 0 : s.batcher().queueDepth();
    }

    /** {@link #queueDepth()} integrated over time, in requests x seconds (0 before the model serves). */
    public double queueDepthSeconds() {
        Serving s = serving;
        return s == null ? 0 : s.batcher().queueDepthSeconds();
    }

    /** How long the oldest engine call running now has been running (zero when none runs, or before ready). */
    public Duration longestEngineCall() {
        Serving s = serving;
        return s == null ? Duration.ZERO : s.batcher().longestEngineCall();
    }

    /** What the health checks say when an engine call has run longer than {@code limit}; empty otherwise. */
    public Optional<String> engineCallOver(Duration limit) {
        Duration longest = longestEngineCall();
        return longest.compareTo(limit) > 0
                ? Optional.of(
                        "a call has run for " + longest.toSeconds() + " s (more than " + limit.toSeconds() + " s)")
                : Optional.empty();
    }

    /** Whether the queue is full now: a request is refused before its body is parsed. */
    public boolean queueFull() {
        Serving s = serving;
        return s != null && s.batcher().full();
    }

    /** Announces a request being read, so a forming batch may wait for it; a no-op before ready. */
    public DynamicBatcher.Arrival arrive() {
        Serving s = serving;
        return s == null ? DynamicBatcher.Arrival.NONE : s.batcher().arrive();
    }

    /**
     * Validates and queues a request.
     *
     * @throws InferenceError 400 for a request that does not match the model, 503 when not ready
     * @throws DynamicBatcher.QueueFullException when the queue is full
     */
    public CompletableFuture<List<Oip.OutputTensor>> infer(Oip.InferRequest request, DynamicBatcher.Arrival arrival) {
        Serving s = requireServing();
        return s.batcher().submit(s.validator().validate(request), arrival);
    }

    /** OIP model metadata: tensors as read from the model, plus engine and device. */
    public Oip.ModelMetadata metadata(String name) {
        Serving s = requireServing();
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("engine", s.model().format().engine() + " " + s.model().engineVersion());
        parameters.put("device", s.device().device());
        parameters.put("mig_device", s.device().migDevice());
        ModelSignature signature = s.model().signature();
        parameters.put("signature", signature.source());
        if (signature.outputs().isEmpty()) {
            parameters.put("outputs", "named by position as the engine returns them: OUTPUT__0, OUTPUT__1, ...");
        }
        parameters.put("warm_up", s.warmUp());
        parameters.put("batching", s.batching());
        return new Oip.ModelMetadata(
                name,
                List.of("1"),
                s.model().format().platform(),
                signature.inputs().stream().map(TensorSpec::toMetadata).toList(),
                signature.outputs().stream().map(TensorSpec::toMetadata).toList(),
                parameters);
    }

    private Serving requireServing() {
        Serving s = serving;
        if (s == null) {
            throw new InferenceError(503, "not_ready", "model is not ready yet (loading or warming up)");
        }
        return s;
    }

    /** At shutdown, once Quarkus has let the requests in flight finish ({@code quarkus.shutdown.timeout}). */
    @PreDestroy
    void close() {
        Serving s = serving;
        if (s != null) {
            retire(s, true);
        }
    }

    /**
     * Stops the batcher, then closes the model if asked to, unless a batch still runs on it: closing an engine
     * during a call can crash the process (seen: SIGSEGV in ONNX Runtime), and a model left open at exit is harmless.
     */
    private static void retire(Serving s, boolean closeModel) {
        boolean idle = s.batcher().stop();
        if (!closeModel) {
            return;
        }
        if (idle) {
            s.model().close();
        } else {
            Log.warnf("A batch still runs after %d s; the model is left open", DynamicBatcher.STOP_TIMEOUT.toSeconds());
        }
    }
}
