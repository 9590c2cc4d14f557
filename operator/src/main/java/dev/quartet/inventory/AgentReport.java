package dev.quartet.inventory;

import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NodeAgentReport.Gpu;
import dev.quartet.nvidia.NodeAgentReport.Layout;
import dev.quartet.nvidia.NodeAgentReport.ProfileTable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What Quartet's node agent reports on one node (docs/contracts.md, "Node annotations of the node agent"): every GPU's
 * real MIG layout and mode, and each product's profile table. A node has an agent when it carries a usable
 * {@code quartet.dev/mig-layout}; a value that does not parse, or that does not describe the node's GPUs, counts as no
 * agent, and {@link #problem} says why (the operator must never fail on what a node says). Pure.
 *
 * @param layout   the agent's layout, by GPU index; empty for a node without a (usable) agent
 * @param profiles the profile tables by NVML product name (empty when absent or malformed)
 * @param problem  why an annotation present on the node is not used, or null
 */
public record AgentReport(Optional<Layout> layout, Map<String, ProfileTable> profiles, String problem) {

    public AgentReport {
        profiles = Map.copyOf(profiles);
    }

    /** A node without an agent. */
    public static final AgentReport NONE = new AgentReport(Optional.empty(), Map.of(), null);

    /** Whether the node has an agent whose layout Quartet uses. */
    public boolean present() {
        return layout.isPresent();
    }

    /** The agent's report of GPU {@code index}, if it has an agent. */
    public Optional<Gpu> gpu(int index) {
        return layout.flatMap(l -> NodeAgentReport.gpu(l, index));
    }

    /** What {@code node}'s annotations say, checked against its GPU count. */
    public static AgentReport of(GpuNode node) {
        return of(node.name(), node.annotations(), node.gpuCount());
    }

    /**
     * What a node's annotations say.
     *
     * @param gpuCount the GPUs the node's labels count; an agent's layout must report each index below it, or it is
     *                 not used (a negative count accepts any)
     */
    public static AgentReport of(String node, Map<String, String> annotations, int gpuCount) {
        String layoutValue = annotations == null ? null : annotations.get(NodeAgentReport.MIG_LAYOUT);
        String profilesValue = annotations == null ? null : annotations.get(NodeAgentReport.MIG_PROFILES);
        Map<String, ProfileTable> profiles = Map.of();
        String problem = null;
        if (profilesValue != null && !profilesValue.isBlank()) {
            try {
                profiles = NodeAgentReport.parseProfileTables(profilesValue);
                if (profiles == null || profiles.values().stream().anyMatch(t -> t == null || t.profiles() == null)) {
                    profiles = Map.of();
                    problem = NodeAgentReport.MIG_PROFILES + " of node " + node + " lists a product without profiles;"
                            + " it is ignored";
                }
            } catch (IllegalArgumentException e) {
                problem = NodeAgentReport.MIG_PROFILES + " of node " + node + " is malformed (" + e.getMessage()
                        + "); it is ignored";
            }
        }
        if (layoutValue == null || layoutValue.isBlank()) {
            return new AgentReport(Optional.empty(), profiles, problem);
        }
        Layout layout;
        try {
            layout = NodeAgentReport.parseLayout(layoutValue);
        } catch (IllegalArgumentException e) {
            return new AgentReport(
                    Optional.empty(),
                    profiles,
                    NodeAgentReport.MIG_LAYOUT + " of node " + node + " is malformed (" + e.getMessage()
                            + "); the node is treated as one without a node agent");
        }
        String wrong = inconsistency(layout, gpuCount);
        if (wrong != null) {
            return new AgentReport(
                    Optional.empty(),
                    profiles,
                    NodeAgentReport.MIG_LAYOUT + " of node " + node + " " + wrong
                            + "; the node is treated as one without a node agent");
        }
        return new AgentReport(Optional.of(layout), profiles, problem);
    }

    /** Why a parsed layout cannot be used, or null. */
    private static String inconsistency(Layout layout, int gpuCount) {
        List<Gpu> gpus = layout.gpus();
        if (gpus == null) {
            return "lists no GPUs";
        }
        Set<Integer> seen = new HashSet<>();
        for (Gpu g : gpus) {
            if (g == null) {
                return "has an empty GPU entry";
            }
            if (!seen.add(g.index())) {
                return "lists GPU " + g.index() + " twice";
            }
            if (g.instances() != null && g.instances().stream().anyMatch(i -> i == null)) {
                return "has an empty instance entry on GPU " + g.index();
            }
        }
        for (int i = 0; i < gpuCount; i++) {
            if (!seen.contains(i)) {
                return "does not report GPU " + i + " of the " + gpuCount + " the node's labels count";
            }
        }
        return null;
    }

    /** GPU {@code g}'s instances, never null. */
    public static List<NodeAgentReport.Instance> instances(Gpu g) {
        return g.instances() == null ? List.of() : g.instances();
    }
}
