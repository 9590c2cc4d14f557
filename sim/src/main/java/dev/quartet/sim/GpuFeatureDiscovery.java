package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.GpuSpec;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NvidiaLabels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What GPU Feature Discovery and the device plugin (mixed strategy) publish for a node's GPUs: node labels and
 * extended-resource capacity. Pure.
 */
public final class GpuFeatureDiscovery {

    private GpuFeatureDiscovery() {}

    /**
     * All GFD labels for these GPUs; keys GFD owns but that do not apply now map to {@code null} (to remove them).
     */
    public static Map<String, String> labels(GpuModel model, List<GpuHardware> gpus) {
        Map<String, String> labels = new LinkedHashMap<>();
        GpuSpec spec = model.spec();
        labels.put(NvidiaLabels.GPU_PRESENT, "true");
        labels.put(NvidiaLabels.GPU_PRODUCT, model.product());
        labels.put(NvidiaLabels.GPU_COUNT, Integer.toString(gpus.size()));
        labels.put(NvidiaLabels.GPU_MEMORY, Integer.toString(spec.memoryMiB()));
        labels.put(NvidiaLabels.GPU_FAMILY, spec.family());
        labels.put(NvidiaLabels.GPU_COMPUTE_MAJOR, Integer.toString(spec.computeMajor()));
        labels.put(NvidiaLabels.GPU_COMPUTE_MINOR, Integer.toString(spec.computeMinor()));
        labels.put(NvidiaLabels.MIG_CAPABLE, "true");
        labels.put(NvidiaLabels.MIG_STRATEGY, NvidiaLabels.MIG_STRATEGY_MIXED);
        Map<String, Integer> counts = migCounts(gpus);
        for (MigProfile p : model.profiles()) {
            boolean present = counts.getOrDefault(p.name(), 0) > 0;
            labels.put(label(p, "count"), present ? Integer.toString(counts.get(p.name())) : null);
            // nominal: the GB of the name; real GFD shows a little less (about 5.8 GiB for an A30's 1g.6gb)
            labels.put(label(p, "memory"), present ? Integer.toString(p.memoryGiB() * 1024) : null);
            labels.put(label(p, "multiprocessors"), present ? Integer.toString(p.multiprocessors()) : null);
            labels.put(label(p, "slices.gi"), present ? Integer.toString(p.computeSlices()) : null);
            labels.put(label(p, "slices.ci"), present ? Integer.toString(p.computeSlices()) : null);
            labels.put(label(p, "engines.copy"), present ? Integer.toString(p.computeSlices()) : null);
        }
        return labels;
    }

    private static String label(MigProfile p, String attribute) {
        return NvidiaLabels.migProfileLabel(p.name(), attribute);
    }

    /**
     * Device-plugin resources: {@code nvidia.com/mig-<p>} per existing instance, {@code nvidia.com/gpu} per GPU with
     * MIG mode off; resources of the model that are absent now map to {@code null} (to remove them).
     */
    public static Map<String, Integer> resources(GpuModel model, List<GpuHardware> gpus) {
        Map<String, Integer> resources = new TreeMap<>();
        Map<String, Integer> counts = migCounts(gpus);
        for (MigProfile p : model.profiles()) {
            resources.put(p.resourceName(), counts.getOrDefault(p.name(), 0) > 0 ? counts.get(p.name()) : null);
        }
        long whole = gpus.stream().filter(g -> !g.migEnabled()).count();
        resources.put(NvidiaLabels.FULL_GPU_RESOURCE, whole > 0 ? (int) whole : null);
        return resources;
    }

    /** Node-total instance count per profile name. */
    public static Map<String, Integer> migCounts(List<GpuHardware> gpus) {
        Map<String, Integer> counts = new TreeMap<>();
        gpus.stream()
                .filter(GpuHardware::migEnabled)
                .flatMap(g -> g.devices().stream())
                .forEach(d -> counts.merge(d.profile().name(), 1, Integer::sum));
        return counts;
    }
}
