package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.stream.Collectors;

/**
 * The mutable state of one simulated node: its GPUs, which pod holds which device, its MIG Manager's and operands'
 * state, and its fault knobs. Only the simulator's event-loop thread touches it (and the heartbeat thread reads
 * {@link #notReady}).
 */
final class SimulatedNode {

    /**
     * One device granted to a pod: a MIG device, or a whole GPU (device null).
     *
     * @param stale the device was destroyed under the pod (by a reconfiguration or a reboot): the container keeps the
     *     device node it was started with, which leads nowhere now
     */
    record Grant(String resource, int gpu, MigDevice device, String uuid, boolean stale) {
        Grant destroyed() {
            return new Grant(resource, gpu, device, uuid, true);
        }
    }

    /**
     * A pod the kubelet admitted, with its devices.
     *
     * @param process what runs in its container ({@link ContainerProcess}); a worker-process pod runs what its process
     *     does
     */
    record Admitted(String namespace, String name, String uid, List<Grant> grants, ContainerProcess process) {
        String key() {
            return namespace + "/" + name;
        }

        Admitted with(List<Grant> g, ContainerProcess p) {
            return new Admitted(namespace, name, uid, g, p);
        }
    }

    /** What a simulated container runs, as the pod annotation {@code sim.quartet.dev/process} says. */
    enum ContainerProcess {
        /** Running, with a process on its GPU device (the default). */
        RUNNING,
        /** Running without a process on the GPU: idle, not started yet, or fallen back to the CPU. */
        NONE,
        /** Restarting with back-off: between crashes nothing runs on the GPU. */
        CRASH_LOOPING;

        static ContainerProcess of(String annotation) {
            if (annotation == null) {
                return RUNNING;
            }
            return switch (annotation) {
                case GpuNodeSimulator.PROCESS_NONE -> NONE;
                case GpuNodeSimulator.PROCESS_CRASH_LOOPING -> CRASH_LOOPING;
                default -> RUNNING;
            };
        }
    }

    final String name;
    final GpuModel model;
    List<GpuHardware> gpus;
    String uid;
    final Map<String, Admitted> admitted = new LinkedHashMap<>();
    /** The kubelet is down (fault knob or a reboot): no lease renewals, pods not processed. */
    volatile boolean notReady;

    boolean forgotten;

    // fault knobs
    boolean stuckPending;
    boolean forceFailed;
    boolean successWithoutInstances;
    /** Late-success knob: after a label change, finish the old apply and wait this long before the latest label. */
    Duration lateSuccessHold;

    // MIG Manager
    /** The node's labels as last seen (MIG Manager reads the deploy labels from them). */
    Map<String, String> labels = Map.of();
    /** The value of {@code nvidia.com/mig.config} now (MIG Manager's {@code SyncableMigConfig.current}). */
    String latestConfig;
    /** The value the last run started with ({@code SyncableMigConfig.lastRead}). */
    String lastRead;
    /** The run in flight, or null. */
    MigManagerSimulator.Run migRun;
    /** Last value the simulator wrote to {@code nvidia.com/mig.config.state}. */
    String migState;

    String lastFailure;
    /** MIG Manager rebooted the node and it is not up yet. */
    boolean rebooting;

    // device plugin
    /** The operands' deploy labels are {@code paused-for-mig-change}. */
    boolean operandsPaused;
    /** The device plugin is registered with the kubelet: its resources are allocatable. */
    boolean devicePluginUp = true;
    /** The resources the plugin registered last (the kubelet's checkpoint keeps them while the plugin is gone). */
    Set<String> registeredResources = new TreeSet<>();
    /** When the kubelet drops the resources of a gone plugin (5 minutes after it left). */
    ScheduledFuture<?> resourceExpiry;

    SimulatedNode(String name, GpuModel model, List<GpuHardware> gpus) {
        this.name = name;
        this.model = model;
        this.gpus = List.copyOf(gpus);
    }

    /** UUIDs of the devices that exist and are granted to a pod. */
    Set<String> busyUuids() {
        return admitted.values().stream()
                .flatMap(a -> a.grants().stream())
                .filter(g -> !g.stale())
                .map(Grant::uuid)
                .collect(Collectors.toSet());
    }

    /** GPU index to a description of the pods using it. */
    Map<Integer, String> busyGpus() {
        Map<Integer, String> busy = new LinkedHashMap<>();
        for (Admitted a : admitted.values()) {
            for (Grant g : a.grants()) {
                if (!g.stale()) {
                    busy.merge(g.gpu(), "pod " + a.key(), (x, y) -> x + ", " + y);
                }
            }
        }
        return busy;
    }

    List<GpuSnapshot> snapshot() {
        Map<String, String> holder = new HashMap<>();
        admitted.values()
                .forEach(a -> a.grants().stream().filter(g -> !g.stale()).forEach(g -> holder.put(g.uuid(), a.key())));
        List<GpuSnapshot> result = new ArrayList<>();
        for (GpuHardware gpu : gpus) {
            List<GpuSnapshot.Slice> slices = gpu.devices().stream()
                    .sorted(java.util.Comparator.comparingInt(MigDevice::start))
                    .map(d -> new GpuSnapshot.Slice(d.profile().name(), d.start(), d.uuid(), holder.get(d.uuid())))
                    .toList();
            result.add(new GpuSnapshot(gpu.index(), gpu.uuid(), gpu.migEnabled(), slices, holder.get(gpu.uuid())));
        }
        return result;
    }
}
