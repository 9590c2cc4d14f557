package dev.quartet.worker;

/** System properties DJL must see before its engines load: offline natives, no TorchScript graph optimiser. */
public final class EngineSettings {

    private EngineSettings() {
    }

    /**
     * Never download anything (natives come from the Maven jars), and keep TorchScript's profiling
     * graph executor off: measured here, it made median latency 24x worse under CPU contention.
     * Values already set (e.g. {@code -Dai.djl.pytorch.graph_optimizer=true}) win.
     */
    public static void apply() {
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        }
    }
}
