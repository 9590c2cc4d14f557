package dev.quartet.sim;

import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One physical GPU of a simulated node: its MIG mode and the MIG devices that currently exist on it.
 * Immutable; a reconfiguration returns a new value with a new generation, so MIG UUIDs change as on real hardware.
 */
public record GpuHardware(
        String node, int index, GpuModel model, boolean migEnabled, List<MigDevice> devices, int generation) {

    public GpuHardware {
        devices = List.copyOf(devices);
    }

    /** A GPU with MIG mode as given and these instances created (generation 0). */
    public static GpuHardware of(
            String node, int index, GpuModel model, boolean migEnabled, List<GpuInstance> instances) {
        return new GpuHardware(node, index, model, false, List.of(), -1).reconfigured(migEnabled, instances);
    }

    /** This GPU wiped and recreated with {@code instances} (what mig-parted does to a changed GPU). */
    public GpuHardware reconfigured(boolean enableMig, List<GpuInstance> instances) {
        int next = generation + 1;
        List<MigDevice> created = enableMig
                ? instances.stream()
                        .map(i -> new MigDevice(index, i.profile(), i.start(), migUuid(next, i)))
                        .toList()
                : List.of();
        return new GpuHardware(node, index, model, enableMig, created, next);
    }

    /**
     * This GPU with only {@code kept} of its devices left (the others destroyed, as by a clear that stopped part way);
     * the survivors keep their UUIDs.
     */
    public GpuHardware withDevices(List<MigDevice> kept) {
        if (!devices.containsAll(kept)) {
            throw new IllegalArgumentException("GPU " + index + " has no such devices: " + kept);
        }
        List<MigDevice> ordered = devices.stream().filter(kept::contains).toList();
        return new GpuHardware(node, index, model, migEnabled, ordered, generation);
    }

    /** A stable fake GPU UUID derived from node name and index. */
    public String uuid() {
        return "GPU-" + UUID.nameUUIDFromBytes((node + "/gpu/" + index).getBytes(StandardCharsets.UTF_8));
    }

    private String migUuid(int gen, GpuInstance i) {
        String key = uuid() + "/" + gen + "/" + i.profile().giProfileId() + "@" + i.start();
        return "MIG-" + UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8));
    }

    /** Instance counts per profile name, the way mig-parted compares a GPU to a desired config. */
    public Map<String, Integer> counts() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (MigDevice d : devices) {
            counts.merge(d.profile().name(), 1, Integer::sum);
        }
        return counts;
    }

    public List<GpuInstance> instances() {
        return devices.stream()
                .map(d -> new GpuInstance(d.profile(), d.start()))
                .toList();
    }
}
