package dev.quartet.node;

import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.Instance;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.api.model.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The mig-parted config that gives a node its planned layout, and the set of Quartet configs still in use. */
final class TargetConfig {

    private TargetConfig() {}

    /**
     * One device group per distinct GPU layout: planned GPUs get the planned counts; GPUs the plan leaves alone
     * keep exactly their current entry (so MIG Manager skips them), and a GPU with MIG off ({@code migOff}) that the
     * plan leaves alone is written with MIG off, never turned on by the way.
     */
    static List<MigConfigSpec> groups(GpuNode node, Plan plan, MigPartedConfig current, Set<Integer> migOff) {
        Map<Integer, GpuPlan> planned = new TreeMap<>();
        plan.gpus().stream().filter(g -> g.node().equals(node.name())).forEach(g -> planned.put(g.index(), g));
        Map<List<Object>, List<Integer>> byContent = new LinkedHashMap<>();
        for (int i = 0; i < node.gpuCount(); i++) {
            GpuPlan g = planned.get(i);
            Optional<MigConfigSpec> existing = current == null || node.migConfig() == null
                    ? Optional.empty()
                    : current.entryFor(node.migConfig(), i, node.model());
            boolean enabled;
            Map<String, Integer> counts;
            if (g != null && g.repartition()) {
                enabled = true;
                counts = counts(g.layout());
            } else if (existing.isPresent()) {
                enabled = existing.get().migEnabled();
                counts = new TreeMap<>(existing.get().migDevices());
            } else if (migOff.contains(i)) {
                enabled = false;
                counts = new TreeMap<>();
            } else if (g != null) {
                enabled = true;
                counts = counts(g.layout());
            } else {
                continue;
            }
            byContent
                    .computeIfAbsent(List.of(enabled, counts), k -> new ArrayList<>())
                    .add(i);
        }
        List<MigConfigSpec> groups = new ArrayList<>();
        byContent.forEach((content, devices) -> {
            @SuppressWarnings("unchecked")
            Map<String, Integer> counts = (Map<String, Integer>) content.get(1);
            groups.add(new MigConfigSpec(List.of(), List.copyOf(devices), (Boolean) content.get(0), counts));
        });
        return groups;
    }

    private static Map<String, Integer> counts(List<Instance> layout) {
        Map<String, Integer> counts = new TreeMap<>();
        layout.forEach(i -> counts.merge(i.profile(), 1, Integer::sum));
        return counts;
    }

    /** Quartet's configs any of these nodes selects, may roll back to, or is about to select. */
    static Set<String> inUse(List<Node> nodes) {
        Set<String> names = new TreeSet<>();
        for (Node n : nodes) {
            List<String> refs = new ArrayList<>();
            if (n.getMetadata().getLabels() != null) {
                refs.add(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG));
            }
            if (n.getMetadata().getAnnotations() != null) {
                refs.add(n.getMetadata().getAnnotations().get(QuartetLabels.NODE_LAST_GOOD_CONFIG));
                StagedConfig.configOf(n.getMetadata().getAnnotations().get(QuartetLabels.NODE_CONFIG_STAGED))
                        .ifPresent(refs::add);
            }
            refs.stream()
                    .filter(c -> c != null && c.startsWith(MigPartedConfigWriter.PREFIX))
                    .forEach(names::add);
        }
        return names;
    }
}
