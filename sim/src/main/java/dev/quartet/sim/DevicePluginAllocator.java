package dev.quartet.sim;

import dev.quartet.nvidia.MigProfile;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The device plugin's (not Quartet's) choice of a concrete device for a pod's resource request: the free device of
 * the wanted profile on the GPU with the fewest busy devices, ties broken by lowest GPU index, then lowest start.
 */
public final class DevicePluginAllocator {

    private DevicePluginAllocator() {}

    /** Picks a free MIG device of {@code profile}, given the UUIDs already handed out. */
    public static Optional<MigDevice> chooseMig(List<GpuHardware> gpus, Set<String> busyUuids, MigProfile profile) {
        Map<Integer, Long> busyPerGpu = gpus.stream()
                .collect(Collectors.toMap(
                        GpuHardware::index,
                        g -> g.devices().stream()
                                .filter(d -> busyUuids.contains(d.uuid()))
                                .count()));
        return gpus.stream()
                .filter(GpuHardware::migEnabled)
                .flatMap(g -> g.devices().stream())
                .filter(d -> d.profile().equals(profile) && !busyUuids.contains(d.uuid()))
                .min(Comparator.comparing((Function<MigDevice, Long>) d -> busyPerGpu.get(d.gpu()))
                        .thenComparingInt(MigDevice::gpu)
                        .thenComparingInt(MigDevice::start));
    }

    /** Picks a free whole GPU (MIG mode off; advertised as {@code nvidia.com/gpu} under the mixed strategy). */
    public static Optional<GpuHardware> chooseFullGpu(List<GpuHardware> gpus, Set<String> busyUuids) {
        return gpus.stream()
                .filter(g -> !g.migEnabled() && !busyUuids.contains(g.uuid()))
                .findFirst();
    }
}
