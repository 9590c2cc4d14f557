package dev.quartet.sim;

import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * NVIDIA MIG Manager of the simulated nodes: reacts to {@code nvidia.com/mig.config}, walks
 * {@code nvidia.com/mig.config.state} pending -> success | failed, and applies the selected mig-parted config with
 * {@link MigPartedApply}. Fault knobs: stuck in pending, forced failure, success without instances. Runs on the
 * simulator's event loop only.
 */
final class MigManagerSimulator {

    private static final Logger LOG = Logger.getLogger(MigManagerSimulator.class.getName());

    private final NodeApi api;
    private final MigConfigMapStore store;
    private final EventLoop loop;
    private final Supplier<Duration> delay;
    private final Consumer<SimulatedNode> publish;

    MigManagerSimulator(
            NodeApi api,
            MigConfigMapStore store,
            EventLoop loop,
            Supplier<Duration> delay,
            Consumer<SimulatedNode> publish) {
        this.api = api;
        this.store = store;
        this.loop = loop;
        this.delay = delay;
        this.publish = publish;
    }

    /** The node's labels changed; start an apply when the selected config did. */
    void onLabels(SimulatedNode node, Map<String, String> labels) {
        String selected = labels == null ? null : labels.get(NvidiaLabels.MIG_CONFIG);
        if (selected == null || selected.equals(node.observedConfig)) {
            return;
        }
        node.observedConfig = selected;
        if (node.pendingApply != null) {
            node.pendingApply.cancel(false);
            node.pendingApply = null;
        }
        LOG.info(() -> "node " + node.name + ": " + NvidiaLabels.MIG_CONFIG + "=" + selected + ", applying");
        writeState(node, NvidiaLabels.STATE_PENDING);
        if (!node.stuckPending) {
            schedule(node);
        }
    }

    /** A fault knob changed: a node released from "stuck" resumes its pending apply. */
    void onKnobs(SimulatedNode node) {
        if (!node.stuckPending && NvidiaLabels.STATE_PENDING.equals(node.migState) && node.pendingApply == null) {
            schedule(node);
        }
    }

    private void schedule(SimulatedNode node) {
        String config = node.observedConfig;
        node.pendingApply = loop.schedule(() -> finish(node, config), delay.get());
    }

    private void finish(SimulatedNode node, String config) {
        node.pendingApply = null;
        if (node.stuckPending || !config.equals(node.observedConfig)) {
            return;
        }
        MigPartedApply.Outcome outcome;
        try {
            outcome = MigPartedApply.apply(store.read(), config, node.gpus, node.busyGpus());
        } catch (MigPartedConfig.InvalidConfigException e) {
            fail(node, "cannot read mig-parted config: " + e.getMessage());
            return;
        }
        if (!outcome.succeeded()) {
            fail(node, outcome.failure());
            return;
        }
        // A forced failure strikes where real ones do: while reconfiguring GPUs. A config that changes no GPU
        // (such as a rollback to the layout the GPUs still have) succeeds, as MIG Manager skips unchanged GPUs.
        if (node.forceFailed && !outcome.changed().isEmpty()) {
            fail(node, "forced failure (fault injection)");
            return;
        }
        node.gpus = outcome.gpus();
        if (node.successWithoutInstances) {
            // MIG Manager has reported success with no instances created (NVIDIA/mig-parted#18, #97): every GPU that
            // changed gets its MIG mode and no instance.
            List<GpuHardware> empty = new ArrayList<>(node.gpus);
            outcome.changed()
                    .forEach(i ->
                            empty.set(i, empty.get(i).reconfigured(empty.get(i).migEnabled(), List.of())));
            node.gpus = List.copyOf(empty);
        }
        node.lastFailure = null;
        publish.accept(node);
        writeState(node, NvidiaLabels.STATE_SUCCESS);
        LOG.info(() -> "node " + node.name + ": applied " + config + ", changed GPUs " + outcome.changed());
    }

    private void fail(SimulatedNode node, String reason) {
        node.lastFailure = reason;
        LOG.warning(() -> "node " + node.name + ": MIG config " + node.observedConfig + " failed: " + reason);
        writeState(node, NvidiaLabels.STATE_FAILED);
    }

    private void writeState(SimulatedNode node, String state) {
        node.migState = state;
        api.patchLabels(node.name, Map.of(NvidiaLabels.MIG_CONFIG_STATE, state));
    }
}
