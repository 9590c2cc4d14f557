package dev.quartet.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What GPU Feature Discovery and the device plugin (mixed strategy) publish for a node's GPUs: node labels and
 * extended-resource capacity. Pure.
 */
public final class GpuFeatureDiscovery {

    public static final String FULL_GPU_RESOURCE = "nvidia.com/gpu";

    private GpuFeatureDiscovery() {}

    /**
     * All GFD labels for these GPUs; keys GFD owns but that do not apply now map to {@code null} (to remove them).
     */
    public static Map<String, String> labels(GpuModel model, List<GpuHardware> gpus) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("nvidia.com/gpu.present", "true");
        labels.put("nvidia.com/gpu.product", model.product());
        labels.put("nvidia.com/gpu.count", Integer.toString(gpus.size()));
        labels.put("nvidia.com/gpu.memory", Integer.toString(model.memoryMiB()));
        labels.put("nvidia.com/gpu.family", model.family());
        labels.put("nvidia.com/gpu.compute.major", Integer.toString(model.computeMajor()));
        labels.put("nvidia.com/gpu.compute.minor", Integer.toString(model.computeMinor()));
        labels.put("nvidia.com/mig.capable", "true");
        labels.put("nvidia.com/mig.strategy", "mixed");
        Map<String, Integer> counts = migCounts(gpus);
        for (MigProfile p : model.profiles()) {
            String prefix = "nvidia.com/mig-" + p.labelName() + ".";
            boolean present = counts.getOrDefault(p.name(), 0) > 0;
            labels.put(prefix + "count", present ? Integer.toString(counts.get(p.name())) : null);
            labels.put(prefix + "memory", present ? Integer.toString(p.memoryMiB()) : null);
            labels.put(prefix + "multiprocessors", present ? Integer.toString(p.multiprocessors()) : null);
            labels.put(prefix + "slices.gi", present ? Integer.toString(p.computeSlices()) : null);
            labels.put(prefix + "slices.ci", present ? Integer.toString(p.computeSlices()) : null);
            labels.put(prefix + "engines.copy", present ? Integer.toString(p.computeSlices()) : null);
        }
        return labels;
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
        resources.put(FULL_GPU_RESOURCE, whole > 0 ? (int) whole : null);
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
