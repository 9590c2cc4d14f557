package dev.quartet.worker;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The worker's whole configuration, set by the operator through {@code QUARTET_*} environment variables. */
@ConfigMapping(prefix = "quartet")
public interface WorkerConfig {

    /** Which model to serve. */
    Model model();

    /** How concurrent requests are merged into batches. */
    Batching batching();

    /** When a hung engine call takes the worker out of service, then has it restarted. */
    Health health();

    /** Engine calls that do not return (a GPU fault can block one for ever). */
    interface Health {
        /**
         * An engine call running this long makes readiness DOWN, so the Service stops sending requests
         * (QUARTET_HEALTH_ENGINE_STUCK_AFTER).
         */
        @WithDefault("60s")
        Duration engineStuckAfter();

        /**
         * An engine call running this long makes liveness DOWN, so the kubelet restarts the container
         * (QUARTET_HEALTH_ENGINE_DEAD_AFTER).
         */
        @WithDefault("300s")
        Duration engineDeadAfter();
    }

    /** Largest accepted request body; larger ones get 413 (QUARTET_MAX_REQUEST_SIZE). */
    @WithDefault("64M")
    MemorySize maxRequestSize();

    /** The served model and where it comes from. */
    interface Model {
        /** {@code file:///models/x.onnx}, a plain path, or an http(s) URL fetched once at start-up. */
        String uri();

        /** Name under {@code /v2/models/{name}}. */
        String name();

        /** {@code torchscript} or {@code onnx}; derived from the file extension when unset. */
        Optional<ModelFormat> format();

        /** Expected sha256 (hex) of the model file; the worker refuses to start on a mismatch. */
        Optional<String> sha256();

        /** Size given to dynamic non-batch dimensions (image sides, sequence lengths) in the warm-up inference. */
        @WithDefault("64")
        int warmUpDynamicSize();

        /** Where http(s) models are downloaded; must be writable (an emptyDir in a pod). */
        @WithDefault("${java.io.tmpdir}/quartet-models")
        String cacheDir();
    }

    /** How the engine runs each call. */
    Engine engine();

    /** Engine threading. */
    interface Engine {
        /**
         * CPU threads one ONNX Runtime call may use (its intra-op threads). Unset: the CPUs this process may use
         * divided by {@link Batching#workers()}, at least one, so that the batch workers running side by side
         * together use each CPU once instead of making each call split its operators across every CPU and wait
         * on the others (measured on 2 CPUs: ResNet-50 served at 0.83-0.87 of in-process throughput at
         * concurrency 16 with two threads per call, 0.90-0.98 with one). libtorch's thread count is set per
         * process by DJL ({@code ai.djl.pytorch.num_threads}), not here.
         */
        Optional<Integer> threadsPerCall();
    }

    /** Dynamic batching limits. */
    interface Batching {
        /** Most rows (sum of request batch dimensions) merged into one inference. */
        @WithDefault("8")
        int maxBatchSize();

        /** Longest time the first request of a batch waits for others. */
        @WithDefault("5")
        int maxBatchDelayMillis();

        /**
         * Batches the engine runs at the same time. Two let a CPU engine overlap batches (measured:
         * more throughput than one larger batch) and a GPU overlap copies with compute.
         */
        @WithDefault("2")
        int workers();

        /** Requests allowed to wait for inference; more are answered 503 with Retry-After. */
        @WithDefault("64")
        int queueLimit();

        /**
         * Longest a request waits for its answer, queue included; then it gets 504 and, if it has not reached
         * the engine yet, never does (QUARTET_BATCHING_REQUEST_TIMEOUT).
         */
        @WithDefault("120s")
        Duration requestTimeout();
    }
}
