package dev.quartet.cli;

import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws every MIG GPU of a cluster as a row of memory slots: which instance covers which slots, and which
 * replica (namespace/pod) holds each instance. Pure: it renders an {@link Inventory}.
 */
final class LayoutPicture {

    /** Characters per memory slot: rows are about 80 columns wide on every model. */
    static int slotWidth(int slots) {
        return slots <= 4 ? 20 : 12;
    }

    private LayoutPicture() {}

    static String render(Inventory inventory) {
        StringBuilder out = new StringBuilder();
        Map<String, Integer> free = new TreeMap<>();
        Map<String, Integer> used = new TreeMap<>();
        for (GpuNode node : inventory.nodes().values()) {
            out.append(node.name())
                    .append("  ")
                    .append(node.gpuCount())
                    .append(" x ")
                    .append(node.model().displayName())
                    .append("  nvidia.com/mig.config=")
                    .append(node.migConfig())
                    .append(" (")
                    .append(node.migState())
                    .append(")");
            if (inventory.lostNodes().contains(node.name())) {
                out.append("  NOT READY: its replicas are replaced elsewhere\n");
                continue;
            }
            out.append("  ").append(inventory.readiness().get(node.name()));
            if (inventory.notes().containsKey(node.name())) {
                out.append(": ").append(inventory.notes().get(node.name()));
            }
            out.append('\n');
            NodeState state = inventory.state().nodes().stream()
                    .filter(n -> n.name().equals(node.name()))
                    .findFirst()
                    .orElse(null);
            if (state == null) {
                continue;
            }
            for (GpuState gpu : state.gpus()) {
                out.append("  GPU ")
                        .append(gpu.index())
                        .append(' ')
                        .append(row(gpu))
                        .append('\n');
                for (InstanceState i : gpu.instances()) {
                    (i.isFree() ? free : used).merge(i.profile(), 1, Integer::sum);
                }
            }
        }
        out.append("slices in use: ")
                .append(used.isEmpty() ? "none" : used)
                .append("; free: ")
                .append(free.isEmpty() ? "none" : free)
                .append('\n');
        return out.toString();
    }

    /** {@code |1g.6gb default/a-0 |1g.6gb free |...|} with each instance as wide as its memory slots. */
    static String row(GpuState gpu) {
        int slots = gpu.model().memorySlices();
        StringBuilder row = new StringBuilder("|");
        int slot = 0;
        while (slot < slots) {
            final int at = slot;
            InstanceState instance = gpu.instances().stream()
                    .filter(i -> i.start() == at)
                    .findFirst()
                    .orElse(null);
            int size = instance == null
                    ? 1
                    : gpu.model()
                            .profile(instance.profile())
                            .map(p -> p.memorySlices())
                            .orElse(1);
            String text = instance == null
                    ? "-"
                    : instance.profile() + " " + (instance.isFree() ? "free" : instance.replica());
            int width = size * slotWidth(slots) - 1;
            row.append(fit(text, width)).append('|');
            slot += size;
        }
        return row.toString();
    }

    private static String fit(String text, int width) {
        String t = " " + text;
        if (t.length() > width) {
            return t.substring(0, width - 1) + "~";
        }
        return t + " ".repeat(width - t.length());
    }
}
