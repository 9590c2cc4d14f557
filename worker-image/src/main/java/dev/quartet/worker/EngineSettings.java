package dev.quartet.worker;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.sun.jna.Library;
import com.sun.jna.Native;
import io.quarkus.logging.Log;
import java.util.Optional;

/**
 * Engine settings that must be in place before DJL loads an engine: offline natives, and no
 * busy-waiting engine threads. Both engines spin their worker threads by default; on a small CPU
 * shared with HTTP threads (or other pods) a spinning thread steals the core the thread it waits
 * for needs: measured here under CPU contention, ResNet-50 TorchScript took 1.4-2.6 s per image
 * with OpenMP's default wait policy and 0.1-0.15 s with a passive one.
 */
public final class EngineSettings {

    private static boolean applied;

    private EngineSettings() {}

    /** The C library's {@code setenv}, for variables native libraries read when they load. */
    interface CLibrary extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /**
     * Applies the settings once per JVM; values the operator of the process already set win:
     * {@code ai.djl.offline=true} (natives only from the Maven jars), TorchScript's graph optimiser
     * off ({@code ai.djl.pytorch.graph_optimizer}), {@code OMP_WAIT_POLICY=PASSIVE} for libtorch's
     * OpenMP threads (ONNX Runtime's are set per session: {@link #onnxSessionOptions()}).
     */
    public static synchronized void apply() {
        if (applied) {
            return;
        }
        applied = true;
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        }
        try {
            Native.load("c", CLibrary.class).setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        } catch (UnsatisfiedLinkError e) {
            Log.warnf("Cannot set OMP_WAIT_POLICY=PASSIVE (%s); set it in the environment", e.getMessage());
        }
    }

    /**
     * ONNX Runtime intra-op threads per call: {@code configured} when set, else the CPUs this process may use
     * divided by the number of batch workers that call the engine side by side, at least one.
     */
    public static int threadsPerCall(Optional<Integer> configured, int batchWorkers) {
        int threads = configured.orElse(Runtime.getRuntime().availableProcessors() / Math.max(1, batchWorkers));
        if (configured.isPresent() && threads < 1) {
            throw new IllegalArgumentException("quartet.engine.threads-per-call must be at least 1, not " + threads);
        }
        return Math.max(1, threads);
    }

    /**
     * ONNX Runtime session options whose thread pools do not spin (DJL passes them through as the
     * {@code sessionOptions} model option and applies its own settings on top).
     */
    public static OrtSession.SessionOptions onnxSessionOptions() {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
        } catch (OrtException e) {
            Log.warnf("ONNX Runtime keeps spinning thread pools: %s", e.getMessage());
        }
        return options;
    }
}
