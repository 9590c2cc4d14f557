package dev.quartet.sim;

import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * NVIDIA MIG Manager of the simulated nodes: reacts to {@code nvidia.com/mig.config}, walks
 * {@code nvidia.com/mig.config.state}, pauses NVIDIA's operands, and applies the selected mig-parted config with
 * {@link MigPartedApply}. Runs on the simulator's event loop only.
 *
 * <p>One run follows NVIDIA/mig-parted pkg/mig/reconfigure/reconfigure.go {@code Run}: validate the config
 * ({@code failed} at once when the config is absent or the file unreadable) and skip to {@code success} when it is
 * already applied ({@link Strictness#stateShortcuts()}; otherwise {@code pending} comes first, as before); write
 * {@code pending}; set {@code nvidia.com/gpu.deploy.{device-plugin,gpu-feature-discovery,dcgm-exporter,dcgm,nvsm}} to
 * {@code paused-for-mig-change} and wait for those pods to go ({@link Strictness#operandShutdown()}); apply
 * ({@code reconfigureDelay}); on a failed MIG mode change with {@code WITH_REBOOT} write {@code rebooting} and reboot;
 * set the deploy labels back to {@code true}; write {@code success} or {@code failed}. The device plugin registers
 * again a while after its label is back, possibly after {@code success}.
 *
 * <p>Label changes: MIG Manager's loop (cmd/nvidia-mig-manager/main.go, {@code SyncableMigConfig}) runs one
 * reconfiguration at a time and, when it ends, acts on the label's value then if it differs from the value it last
 * started with: a change during a run waits for it, and A -> B -> A during A's run starts nothing more
 * ({@link Strictness#finishApplyInFlight()}; otherwise a change cancels the run, as before).
 */
final class MigManagerSimulator {

    private static final Logger LOG = Logger.getLogger(MigManagerSimulator.class.getName());

    /** What MIG Manager needs from the rest of the node: who uses which device, and the node's own lifecycle. */
    interface Node {
        /** Who holds each device (MIG or GPU UUID). */
        Map<String, String> held(SimulatedNode node);

        /** Who runs a process on each device (what NVML shows). */
        Map<String, String> processes(SimulatedNode node);

        /** These devices were destroyed (their holders keep running with a stale device). */
        void devicesDestroyed(SimulatedNode node, Set<String> uuids);

        /** The node reboots now (MIG Manager's {@code reboot}); {@code onBoot} runs once it is up. */
        void reboot(SimulatedNode node, Runnable onBoot);
    }

    /** One reconfiguration: MIG Manager's {@code Run} for one value of the label. */
    static final class Run {
        final String config;
        final boolean afterReboot;
        boolean cancelled;
        /** Written {@code pending} and held there by {@link SimulatedNode#stuckPending}. */
        boolean stuck;
        /** Finished, waiting before the latest label is acted on (late-success knob). */
        boolean holding;
        /** Late-success knob: how long to wait after this run before acting on the latest label. */
        Duration holdAfter;

        Run(String config, boolean afterReboot) {
            this.config = config;
            this.afterReboot = afterReboot;
        }
    }

    private final NodeApi api;
    private final MigConfigMapStore store;
    private final EventLoop loop;
    private final Supplier<Duration> delay;
    private final Strictness strictness;
    private final DevicePlugin plugin;
    private final Node side;

    MigManagerSimulator(
            NodeApi api,
            MigConfigMapStore store,
            EventLoop loop,
            Supplier<Duration> delay,
            Strictness strictness,
            DevicePlugin plugin,
            Node side) {
        this.api = api;
        this.store = store;
        this.loop = loop;
        this.delay = delay;
        this.strictness = strictness;
        this.plugin = plugin;
        this.side = side;
    }

    /** The node's labels changed; act when the selected config did. */
    void onLabels(SimulatedNode node, Map<String, String> labels) {
        node.labels = labels == null ? Map.of() : labels;
        String selected = node.labels.get(NvidiaLabels.MIG_CONFIG);
        if (selected == null || selected.equals(node.latestConfig)) {
            return;
        }
        node.latestConfig = selected;
        if (node.rebooting) {
            LOG.info(() -> "node " + node.name + ": " + NvidiaLabels.MIG_CONFIG + "=" + selected
                    + " while the node reboots; MIG Manager reads it when it starts");
            return;
        }
        Run run = node.migRun;
        if (run != null && node.lateSuccessHold != null) {
            run.holdAfter = node.lateSuccessHold;
            LOG.info(() -> "node " + node.name + ": " + NvidiaLabels.MIG_CONFIG + "=" + selected + "; finishing "
                    + run.config + " first and reporting it (late-success knob)");
            if (run.stuck) {
                run.stuck = false;
                afterPending(node, run);
            }
            return;
        }
        if (run != null && strictness.finishApplyInFlight()) {
            LOG.info(() -> "node " + node.name + ": " + NvidiaLabels.MIG_CONFIG + "=" + selected
                    + "; acted on once the reconfiguration to " + run.config + " ends");
            return;
        }
        if (run != null) {
            run.cancelled = true;
            node.migRun = null;
        }
        start(node, false);
    }

    /** A fault knob changed: a node released from "stuck" resumes its pending run. */
    void onKnobs(SimulatedNode node) {
        Run run = node.migRun;
        if (!node.stuckPending && run != null && run.stuck) {
            run.stuck = false;
            afterPending(node, run);
        }
    }

    /** The node is up after a reboot: MIG Manager starts and applies the label's config again. */
    void onBoot(SimulatedNode node) {
        node.rebooting = false;
        if (node.latestConfig != null) {
            start(node, true);
        }
    }

    private void start(SimulatedNode node, boolean afterReboot) {
        Run run = new Run(node.latestConfig, afterReboot);
        node.migRun = run;
        node.lastRead = run.config;
        LOG.info(() -> "node " + node.name + ": " + NvidiaLabels.MIG_CONFIG + "=" + run.config + ", applying");
        if (strictness.stateShortcuts()) {
            // Run(): validateMigConfig (mig-parted assert --valid-config) fails -> failed, no pending;
            // isConfigAlreadyApplied (mig-parted assert) -> success, no pending, operands untouched
            MigPartedConfig config;
            try {
                config = store.read();
            } catch (MigPartedConfig.InvalidConfigException e) {
                end(node, run, "cannot read mig-parted config: " + e.getMessage());
                return;
            }
            if (config.config(run.config).isEmpty()) {
                end(node, run, "selected mig-config not present: " + run.config);
                return;
            }
            if (MigPartedApply.applied(config, run.config, node.gpus)) {
                LOG.info(() -> "node " + node.name + ": " + run.config + " is already applied");
                end(node, run, null);
                return;
            }
        }
        writeState(node, NvidiaLabels.STATE_PENDING);
        if (node.stuckPending) {
            run.stuck = true;
            return;
        }
        afterPending(node, run);
    }

    private void afterPending(SimulatedNode node, Run run) {
        Strictness.OperandShutdown operands = strictness.operandShutdown();
        if (!operands.enabled()) {
            schedule(node, run, delay.get(), () -> apply(node, run));
            return;
        }
        pauseOperands(node);
        if (node.devicePluginUp) {
            // waitForPodsToBeDeleted: the device plugin pod terminates, then the others
            loop.schedule(
                    () -> {
                        if (!node.forgotten && node.operandsPaused) {
                            plugin.gone(node);
                        }
                    },
                    operands.stopDelay());
            schedule(node, run, operands.stopDelay().plus(delay.get()), () -> apply(node, run));
        } else {
            schedule(node, run, delay.get(), () -> apply(node, run));
        }
    }

    private void apply(SimulatedNode node, Run run) {
        MigPartedConfig config;
        try {
            config = store.read();
        } catch (MigPartedConfig.InvalidConfigException e) {
            end(node, run, "cannot read mig-parted config: " + e.getMessage());
            return;
        }
        if (run.afterReboot
                && config.config(run.config).isPresent()
                && !MigPartedApply.modesApplied(config, run.config, node.gpus)) {
            // reconfigure.go checkMigModeChangeRequired with the state still "rebooting"
            end(node, run, "MIG mode change did not take effect after rebooting");
            return;
        }
        List<GpuHardware> before = node.gpus;
        MigPartedApply.Result result = MigPartedApply.run(
                config,
                run.config,
                before,
                side.held(node),
                side.processes(node),
                strictness.applyModel(),
                strictness.migModeChange());
        List<GpuHardware> after = result.gpus();
        String failure = result.failure();
        boolean changes = !after.equals(before) || result.reboot();
        // A forced failure strikes where real ones do: while reconfiguring GPUs. A config that changes no GPU (such as
        // a rollback to the layout the GPUs still have) succeeds, as MIG Manager skips unchanged GPUs.
        if (node.forceFailed && changes) {
            end(node, run, "forced failure (fault injection)");
            return;
        }
        if (failure == null && node.successWithoutInstances && changes) {
            // NVIDIA/mig-parted#18, #97: "MIG configuration applied successfully" and no instance exists
            after = withoutNewInstances(before, after);
            LOG.warning(() -> "node " + node.name + ": success without instances (fault injection)");
        }
        node.gpus = after;
        Set<String> destroyed = deviceIds(before);
        destroyed.removeAll(deviceIds(node.gpus));
        if (!destroyed.isEmpty()) {
            side.devicesDestroyed(node, destroyed);
        }
        if (result.reboot()) {
            reboot(node, run, result);
            return;
        }
        if (!strictness.operandShutdown().enabled() && node.devicePluginUp && !after.equals(before)) {
            plugin.publish(node);
        }
        List<Integer> changed = after.stream()
                .filter(g -> !g.equals(before.get(g.index())))
                .map(GpuHardware::index)
                .toList();
        LOG.info(() -> "node " + node.name + ": " + run.config + ": mig-parted changed GPUs " + changed
                + (failure == null ? "" : " before it failed"));
        end(node, run, failure);
    }

    /** The GPUs that changed, with their new MIG mode and no instances. */
    private static List<GpuHardware> withoutNewInstances(List<GpuHardware> before, List<GpuHardware> after) {
        return after.stream()
                .map(g -> g.equals(before.get(g.index())) ? g : g.reconfigured(g.migEnabled(), List.of()))
                .toList();
    }

    /** The device IDs the device plugin advertises: MIG UUIDs of GPUs with MIG on, GPU UUIDs of the others. */
    private static Set<String> deviceIds(List<GpuHardware> gpus) {
        Set<String> ids = new HashSet<>();
        for (GpuHardware g : gpus) {
            if (g.migEnabled()) {
                g.devices().forEach(d -> ids.add(d.uuid()));
            } else {
                ids.add(g.uuid());
            }
        }
        return ids;
    }

    /** MIG Manager sets {@code rebooting} and reboots the host ({@code chroot /host reboot}). */
    private void reboot(SimulatedNode node, Run run, MigPartedApply.Result result) {
        LOG.warning(() -> "node " + node.name + ": MIG mode change failed (" + result.failure()
                + "); WITH_REBOOT: rebooting the node");
        writeState(node, NvidiaLabels.STATE_REBOOTING);
        run.cancelled = true;
        node.migRun = null;
        node.rebooting = true;
        // MIG mode set pending takes effect at boot; GPU and compute instances do not survive a reboot
        node.gpus = node.gpus.stream()
                .map(g -> g.reconfigured(result.modesAtBoot().getOrDefault(g.index(), g.migEnabled()), List.of()))
                .toList();
        side.reboot(node, () -> onBoot(node));
    }

    /**
     * The run ends (reconfigure.go {@code setState}): the deploy labels back to {@code true}, then the state;
     * {@code failure} null is success. Then the latest label is acted on, if it differs from this run's.
     */
    private void end(SimulatedNode node, Run run, String failure) {
        if (node.operandsPaused) {
            resumeOperands(node);
        }
        if (!node.devicePluginUp && !node.rebooting) {
            loop.schedule(
                    () -> {
                        if (!node.forgotten && !node.operandsPaused && !node.rebooting && !node.devicePluginUp) {
                            plugin.up(node);
                        }
                    },
                    strictness.operandShutdown().restartDelay());
        }
        node.lastFailure = failure;
        if (failure == null) {
            writeState(node, NvidiaLabels.STATE_SUCCESS);
        } else {
            LOG.warning(() -> "node " + node.name + ": MIG config " + run.config + " failed: " + failure);
            writeState(node, NvidiaLabels.STATE_FAILED);
        }
        if (run.holdAfter != null) {
            run.holding = true;
            Duration hold = run.holdAfter;
            LOG.info(
                    () -> "node " + node.name + ": reported " + run.config + "; acting on the latest label in " + hold);
            schedule(node, run, hold, () -> next(node, run));
            return;
        }
        next(node, run);
    }

    private void next(SimulatedNode node, Run run) {
        if (node.migRun == run) {
            node.migRun = null;
        }
        if (node.migRun == null
                && !node.rebooting
                && node.latestConfig != null
                && !node.latestConfig.equals(node.lastRead)) {
            start(node, false);
        }
    }

    /** Runs {@code step} after {@code after} if the run is still the node's and not cancelled. */
    private void schedule(SimulatedNode node, Run run, Duration after, Runnable step) {
        loop.schedule(
                () -> {
                    if (node.migRun == run && !run.cancelled && !node.forgotten) {
                        step.run();
                    }
                },
                after);
    }

    /** {@code shutdownKubernetesGPUClients}: each deploy label paused, unless it is {@code false}. */
    private void pauseOperands(SimulatedNode node) {
        if (node.operandsPaused) {
            return;
        }
        node.operandsPaused = true;
        api.patchLabels(node.name, deployLabels(node, NvidiaLabels.PAUSED_FOR_MIG_CHANGE));
    }

    /** {@code restartKubernetesGPUClients}: each deploy label back to {@code true}, unless it is {@code false}. */
    private void resumeOperands(SimulatedNode node) {
        node.operandsPaused = false;
        api.patchLabels(node.name, deployLabels(node, "true"));
    }

    private static Map<String, String> deployLabels(SimulatedNode node, String value) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String label : NvidiaLabels.OPERANDS_PAUSED_FOR_MIG_CHANGE) {
            labels.put(label, "false".equals(node.labels.get(label)) ? "false" : value);
        }
        return labels;
    }

    private void writeState(SimulatedNode node, String state) {
        node.migState = state;
        api.patchLabels(node.name, Map.of(NvidiaLabels.MIG_CONFIG_STATE, state));
    }
}
