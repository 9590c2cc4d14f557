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

    /** Which replica of which deployment this worker is, as the operator tells it (labels of every metric). */
    Replica replica();

    /** The replica's place in Quartet; {@code none} when the worker runs outside it. */
    interface Replica {
        /** The InferenceDeployment this worker serves (QUARTET_REPLICA_DEPLOYMENT). */
        @WithDefault("none")
        String deployment();

        /** The MIG profile of the slice the replica's pod asked for, such as 1g.6gb (QUARTET_REPLICA_MIG_PROFILE). */
        @WithDefault("none")
        String migProfile();
    }

    /**
     * Where a worker that stops because it cannot serve writes why, if that file exists: the kubelet mounts it into
     * every container (the pod's terminationMessagePath) and shows its text as the container's last termination
     * message, which Quartet's status quotes (QUARTET_TERMINATION_MESSAGE_PATH).
     */
    @WithDefault("/dev/termination-log")
    String terminationMessagePath();

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

        /**
         * The model's inputs and outputs as OIP metadata JSON, {@code {"inputs": [{"name", "datatype", "shape"}],
         * "outputs": [...]}} (QUARTET_MODEL_SIGNATURE; Quartet sets it from spec.model.signature). Wins over a
         * {@code <model file>.signature.json} beside the model and a TorchScript file's {@code quartet.json}; for ONNX
         * it may only pin dimensions the file leaves symbolic.
         */
        Optional<String> signature();

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

        /**
         * Whether a worker given a GPU or MIG device ({@code NVIDIA_VISIBLE_DEVICES} names one) may serve on the CPU
         * when its engine cannot use the device (a CPU-only image, missing CUDA libraries, a failed GPU load).
         * False: it refuses to serve and stops with exit code {@value ServingDevice#REFUSED_EXIT_CODE}, so the slice
         * it holds is not silently wasted (QUARTET_ENGINE_ALLOW_CPU_FALLBACK).
         */
        @WithDefault("false")
        boolean allowCpuFallback();
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
