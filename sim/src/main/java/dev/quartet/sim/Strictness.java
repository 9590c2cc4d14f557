package dev.quartet.sim;

import java.time.Duration;
import java.util.Objects;

/**
 * How strictly the simulator follows NVIDIA's stack and the kubelet where today's simulation is gentler
 * (docs/local-cluster.md, "How strict"). Each component is one behaviour; {@link #gentle()} is what the simulator did
 * before these existed and is the default for now, {@link #nvidia()} is NVIDIA's behaviour with delays short enough
 * for tests, {@link #realistic()} the same with the delays of a real node.
 *
 * @param deviceChoice        who picks the free device of a resource a pod gets
 * @param deviceChoiceSeed    seed of {@link DeviceChoice#RANDOM}; null: taken from the clock (and logged)
 * @param operandShutdown     whether (and how slowly) MIG Manager stops and restarts the device plugin, GFD and DCGM
 *                            around every reconfiguration
 * @param configFileLag       how late MIG Manager's mounted copy of its ConfigMap follows the ConfigMap
 * @param finishApplyInFlight a changed {@code nvidia.com/mig.config} waits for the apply in flight to finish (and
 *                            flaps are coalesced) instead of cancelling it
 * @param stateShortcuts      {@code success} without {@code pending} when the node already matches, {@code failed}
 *                            without {@code pending} when the config is unknown or the file unreadable
 * @param applyModel          how an apply treats busy GPUs and failures
 * @param migModeChange       what enabling or disabling MIG mode takes
 * @param rebootDuration      how long a node is down when MIG Manager reboots it ({@link MigModeChange#REBOOT})
 */
public record Strictness(
        DeviceChoice deviceChoice,
        Long deviceChoiceSeed,
        OperandShutdown operandShutdown,
        Duration configFileLag,
        boolean finishApplyInFlight,
        boolean stateShortcuts,
        ApplyModel applyModel,
        MigModeChange migModeChange,
        Duration rebootDuration) {

    public Strictness {
        Objects.requireNonNull(deviceChoice, "deviceChoice");
        Objects.requireNonNull(operandShutdown, "operandShutdown");
        Objects.requireNonNull(configFileLag, "configFileLag");
        Objects.requireNonNull(applyModel, "applyModel");
        Objects.requireNonNull(migModeChange, "migModeChange");
        Objects.requireNonNull(rebootDuration, "rebootDuration");
    }

    /** Which free device of a resource the kubelet hands a pod. */
    public enum DeviceChoice {
        /**
         * Gentle: the free device on the GPU with the fewest busy devices, then the lowest GPU index and start (what
         * Quartet's planner happens to assume).
         */
        LEAST_BUSY_GPU,
        /**
         * As a real node: any free device, picked by a seeded random generator. The kubelet takes devices from a Go
         * set in map order and NVIDIA's plugin ranks MIG devices in map order too ({@link DevicePluginAllocator}).
         */
        RANDOM
    }

    /** How an apply of a mig-parted config treats busy GPUs and failures. */
    public enum ApplyModel {
        /**
         * Gentle: a GPU that must change fails the apply when any pod holds one of its devices; every GPU is checked
         * first and nothing changes on failure; each GPU gets only its last matching entry.
         */
        ALL_OR_NOTHING,
        /**
         * As {@code nvidia-mig-parted apply}: entries walked in order, GPU by GPU, each matching entry applied; only an
         * instance with a process on it refuses to be destroyed; an instance held by a pod without a process is
         * destroyed under it; a failure leaves earlier GPUs changed.
         */
        GPU_BY_GPU
    }

    /** What enabling or disabling MIG mode on a GPU takes. */
    public enum MigModeChange {
        /** Gentle: the GPU just changes mode with the rest of its apply; no other GPU is touched. */
        IN_PLACE,
        /**
         * As {@code nvidia-mig-parted apply --mode-only}: every selected GPU with MIG on is cleared (all its instances
         * destroyed, even where the mode does not change), modes are set and all GPUs are reset, which fails while
         * any GPU of the node has a process; here the reset otherwise works.
         */
        RESET,
        /** As {@link #RESET}, but the GPU reset fails (VMs, {@code nvidia_drm} loaded: NVIDIA/mig-parted#181). */
        RESET_FAILS,
        /**
         * MIG Manager with {@code WITH_REBOOT=true} on a host where the reset fails: it sets {@code rebooting} and
         * reboots the node; the new mode takes effect at boot and the config is applied after it.
         */
        REBOOT
    }

    /**
     * MIG Manager pausing NVIDIA's operands on the node for a reconfiguration.
     *
     * @param enabled      whether it is modelled (off: the node's capacity switches in one step at the end)
     * @param stopDelay    from {@code pending} until the device plugin pod is gone (its resources drop to 0 then)
     * @param restartDelay from the deploy labels back at {@code true} until the plugin is registered again
     */
    public record OperandShutdown(boolean enabled, Duration stopDelay, Duration restartDelay) {

        public static final OperandShutdown OFF = new OperandShutdown(false, Duration.ZERO, Duration.ZERO);
        /** Typical of a GPU Operator node: pods terminate in tens of seconds, come back in about a minute. */
        public static final OperandShutdown REALISTIC = of(Duration.ofSeconds(30), Duration.ofSeconds(60));

        public OperandShutdown {
            Objects.requireNonNull(stopDelay, "stopDelay");
            Objects.requireNonNull(restartDelay, "restartDelay");
        }

        public static OperandShutdown of(Duration stopDelay, Duration restartDelay) {
            return new OperandShutdown(true, stopDelay, restartDelay);
        }

        @Override
        public String toString() {
            return enabled ? "stop " + stopDelay + ", restart " + restartDelay : "off";
        }
    }

    /** What the simulator did before these options existed: every behaviour gentle. */
    public static Strictness gentle() {
        return new Strictness(
                DeviceChoice.LEAST_BUSY_GPU,
                null,
                OperandShutdown.OFF,
                Duration.ZERO,
                false,
                false,
                ApplyModel.ALL_OR_NOTHING,
                MigModeChange.IN_PLACE,
                Duration.ofSeconds(2));
    }

    /** Every behaviour as NVIDIA's stack has it, with delays short enough for tests. */
    public static Strictness nvidia() {
        return new Strictness(
                DeviceChoice.RANDOM,
                null,
                OperandShutdown.of(Duration.ofMillis(500), Duration.ofSeconds(1)),
                Duration.ofSeconds(2),
                true,
                true,
                ApplyModel.GPU_BY_GPU,
                MigModeChange.RESET,
                Duration.ofSeconds(3));
    }

    /** {@link #nvidia()} with the delays of a real node (see docs/local-cluster.md for where each comes from). */
    public static Strictness realistic() {
        return nvidia().withOperandShutdown(OperandShutdown.REALISTIC)
                .withConfigFileLag(Duration.ofSeconds(75))
                .withRebootDuration(Duration.ofMinutes(3));
    }

    public Strictness withDeviceChoice(DeviceChoice choice, Long seed) {
        return new Strictness(
                choice,
                seed,
                operandShutdown,
                configFileLag,
                finishApplyInFlight,
                stateShortcuts,
                applyModel,
                migModeChange,
                rebootDuration);
    }

    public Strictness withOperandShutdown(OperandShutdown shutdown) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                shutdown,
                configFileLag,
                finishApplyInFlight,
                stateShortcuts,
                applyModel,
                migModeChange,
                rebootDuration);
    }

    public Strictness withConfigFileLag(Duration lag) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                operandShutdown,
                lag,
                finishApplyInFlight,
                stateShortcuts,
                applyModel,
                migModeChange,
                rebootDuration);
    }

    public Strictness withFinishApplyInFlight(boolean finish) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                operandShutdown,
                configFileLag,
                finish,
                stateShortcuts,
                applyModel,
                migModeChange,
                rebootDuration);
    }

    public Strictness withStateShortcuts(boolean shortcuts) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                operandShutdown,
                configFileLag,
                finishApplyInFlight,
                shortcuts,
                applyModel,
                migModeChange,
                rebootDuration);
    }

    public Strictness withApplyModel(ApplyModel model) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                operandShutdown,
                configFileLag,
                finishApplyInFlight,
                stateShortcuts,
                model,
                migModeChange,
                rebootDuration);
    }

    public Strictness withMigModeChange(MigModeChange change) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                operandShutdown,
                configFileLag,
                finishApplyInFlight,
                stateShortcuts,
                applyModel,
                change,
                rebootDuration);
    }

    public Strictness withRebootDuration(Duration duration) {
        return new Strictness(
                deviceChoice,
                deviceChoiceSeed,
                operandShutdown,
                configFileLag,
                finishApplyInFlight,
                stateShortcuts,
                applyModel,
                migModeChange,
                duration);
    }
}
