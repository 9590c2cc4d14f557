package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.stream.Collectors;

/**
 * The mutable state of one simulated node: its GPUs, which pod holds which device, and its fault knobs.
 * Only the simulator's event-loop thread touches it.
 */
final class SimulatedNode {

    /** One device granted to a pod: a MIG device, or a whole GPU (device null). */
    record Grant(String resource, int gpu, MigDevice device, String uuid) {}

    /** A pod the kubelet admitted, with its devices. */
    record Admitted(String namespace, String name, String uid, List<Grant> grants) {
        String key() {
            return namespace + "/" + name;
        }
    }

    final String name;
    final GpuModel model;
    List<GpuHardware> gpus;
    String uid;
    final Map<String, Admitted> admitted = new LinkedHashMap<>();
    volatile boolean notReady;
    boolean stuckPending;
    boolean forceFailed;
    boolean successWithoutInstances;
    /** Last value of {@code nvidia.com/mig.config} MIG Manager acted on. */
    String observedConfig;
    /** Last value the simulator wrote to {@code nvidia.com/mig.config.state}. */
    String migState;

    String lastFailure;
    ScheduledFuture<?> pendingApply;

    SimulatedNode(String name, GpuModel model, List<GpuHardware> gpus) {
        this.name = name;
        this.model = model;
        this.gpus = List.copyOf(gpus);
    }

    Set<String> busyUuids() {
        return admitted.values().stream()
                .flatMap(a -> a.grants().stream())
                .map(Grant::uuid)
                .collect(Collectors.toSet());
    }

    /** GPU index to a description of the pods using it. */
    Map<Integer, String> busyGpus() {
        Map<Integer, String> busy = new LinkedHashMap<>();
        for (Admitted a : admitted.values()) {
            for (Grant g : a.grants()) {
                busy.merge(g.gpu(), "pod " + a.key(), (x, y) -> x + ", " + y);
            }
        }
        return busy;
    }

    List<GpuSnapshot> snapshot() {
        Map<String, String> holder = new LinkedHashMap<>();
        admitted.values().forEach(a -> a.grants().forEach(g -> holder.put(g.uuid(), a.key())));
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
