package dev.quartet.sim;

import dev.quartet.nvidia.MigProfile;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which free device of a resource a pod gets: the kubelet's device manager with NVIDIA's device plugin, not Quartet.
 *
 * <p>What the real ones do. The kubelet (k8s.io/kubernetes pkg/kubelet/cm/devicemanager/manager.go,
 * {@code devicesToAllocate}) computes the available set (healthy minus allocated), asks the plugin for a preferred
 * allocation when the plugin offers one ({@code callGetPreferredAllocationIfAvailable}), and otherwise, or for what
 * the preference leaves, takes devices by ranging over a Go set ({@code allocateRemainingFrom}): map order, which Go
 * randomises. NVIDIA's plugin (NVIDIA/k8s-device-plugin internal/rm/nvml_manager.go, {@code getPreferredAllocation})
 * computes an aligned allocation only for full GPUs; for MIG devices it ranks candidates by allocated replicas per
 * device ID (internal/rm/allocate.go, {@code greedyAlloc}): a MIG device counts by its own UUID, not by its parent
 * GPU, so every free MIG device ties, and the candidates come from {@code Devices.GetIDs()}, a Go map range again. So
 * the choice is arbitrary: a planner can choose the node, not the GPU or the slot.
 *
 * <p>{@link Strictness.DeviceChoice#RANDOM} models that with a seeded generator (the seed is logged, so a run can be
 * repeated); {@link Strictness.DeviceChoice#LEAST_BUSY_GPU} is the old, gentle rule: the free device on the GPU with
 * the fewest busy devices, ties to the lowest GPU index, then the lowest start. Used on the event loop only.
 */
public final class DevicePluginAllocator {

    private final Strictness.DeviceChoice choice;
    private final Random random;

    public DevicePluginAllocator(Strictness.DeviceChoice choice, long seed) {
        this.choice = choice;
        this.random = new Random(seed);
    }

    /** Picks a free MIG device of {@code profile}, given the UUIDs already handed out. */
    public Optional<MigDevice> chooseMig(List<GpuHardware> gpus, Set<String> busyUuids, MigProfile profile) {
        List<MigDevice> free = gpus.stream()
                .filter(GpuHardware::migEnabled)
                .flatMap(g -> g.devices().stream())
                .filter(d -> d.profile().equals(profile) && !busyUuids.contains(d.uuid()))
                .sorted(Comparator.comparingInt(MigDevice::gpu).thenComparingInt(MigDevice::start))
                .toList();
        if (free.isEmpty()) {
            return Optional.empty();
        }
        if (choice == Strictness.DeviceChoice.RANDOM) {
            return Optional.of(free.get(random.nextInt(free.size())));
        }
        Map<Integer, Long> busyPerGpu = gpus.stream()
                .collect(Collectors.toMap(
                        GpuHardware::index,
                        g -> g.devices().stream()
                                .filter(d -> busyUuids.contains(d.uuid()))
                                .count()));
        return free.stream()
                .min(Comparator.comparing((Function<MigDevice, Long>) d -> busyPerGpu.get(d.gpu()))
                        .thenComparingInt(MigDevice::gpu)
                        .thenComparingInt(MigDevice::start));
    }

    /** Picks a free whole GPU (MIG mode off; advertised as {@code nvidia.com/gpu} under the mixed strategy). */
    public Optional<GpuHardware> chooseFullGpu(List<GpuHardware> gpus, Set<String> busyUuids) {
        List<GpuHardware> free = gpus.stream()
                .filter(g -> !g.migEnabled() && !busyUuids.contains(g.uuid()))
                .toList();
        if (free.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                choice == Strictness.DeviceChoice.RANDOM ? free.get(random.nextInt(free.size())) : free.get(0));
    }
}
