package dev.quartet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.inventory.DraNode;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.NodeBackend;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.nvidia.NvidiaDra;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws every MIG GPU of a cluster as a row of memory slots: which instance covers which slots, and which
 * replica (namespace/pod) holds each instance; per node, MIG Manager's state and Quartet's last repartition with its
 * outcome, and per replica the MIG device it got when that is reported. A node of NVIDIA's DRA driver says so in
 * place of MIG Manager's config and state: its GPUs have only the instances claims hold (the rest is free, any legal
 * placement there can be made at once), each listed with its claim and the device the claim is allocated. Pure: it
 * renders an {@link Inventory} and the pods.
 */
final class LayoutPicture {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Characters per memory slot: rows are about 80 columns wide on every model. */
    static int slotWidth(int slots) {
        return slots <= 4 ? 20 : 12;
    }

    private LayoutPicture() {}

    static String render(Inventory inventory) {
        return render(inventory, List.of());
    }

    static String render(Inventory inventory, List<Pod> pods) {
        Map<String, String> devices = new TreeMap<>();
        pods.forEach(p -> ReplicaSlice.of(p)
                .filter(slice -> slice.uuid() != null)
                .ifPresent(slice -> devices.put(PodFacts.id(p), slice.uuid())));
        StringBuilder out = new StringBuilder();
        Map<String, Integer> free = new TreeMap<>();
        Map<String, Integer> used = new TreeMap<>();
        int draFree = 0;
        // Node by node in name order: the inventory's map has no order of its own.
        for (GpuNode node : new TreeMap<>(inventory.nodes()).values()) {
            boolean dra = node.backend() == NodeBackend.DRA;
            out.append(node.name())
                    .append("  ")
                    .append(node.gpuCount())
                    .append(" x ")
                    .append(node.model().displayName());
            if (dra) {
                out.append("  DRA (").append(NvidiaDra.DRIVER).append(", DynamicMIG)");
            } else {
                out.append("  nvidia.com/mig.config=")
                        .append(node.migConfig())
                        .append(" (")
                        .append(node.migState())
                        .append(")");
            }
            if (inventory.lostNodes().contains(node.name())) {
                out.append("  NOT READY: its replicas are replaced elsewhere\n");
                continue;
            }
            out.append("  ").append(inventory.readiness().get(node.name()));
            if (inventory.notes().containsKey(node.name())) {
                out.append(": ").append(inventory.notes().get(node.name()));
            }
            out.append('\n');
            DraNode draNode = inventory.draNodes().get(node.name());
            out.append("  ")
                    .append(dra && draNode != null ? draDriver(draNode) : migManager(node))
                    .append('\n');
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
                if (gpu.dynamic()) {
                    draFree += freeSlots(gpu);
                }
                for (InstanceState i : gpu.instances()) {
                    if (gpu.dynamic() && isPlaceholder(i)) {
                        continue;
                    }
                    (i.isFree() ? free : used).merge(i.profile(), 1, Integer::sum);
                    DraNode.Held held = gpu.dynamic() && draNode != null ? held(draNode, gpu.index(), i) : null;
                    if (held != null) {
                        holderLine(out, i)
                                .append(claimOf(held, i))
                                .append(", device ")
                                .append(held.device())
                                .append('\n');
                    } else if (!i.isFree() && devices.containsKey(i.replica())) {
                        holderLine(out, i)
                                .append(" on ")
                                .append(devices.get(i.replica()))
                                .append('\n');
                    }
                }
            }
        }
        // MIG nodes left out of the inventory (a GPU model Quartet neither knows nor learns from the node's agent):
        // their note says why.
        new TreeMap<>(inventory.notes()).forEach((node, note) -> {
            if (!inventory.nodes().containsKey(node)) {
                out.append(node).append("  NOT PLANNED: ").append(note).append('\n');
            }
        });
        out.append("slices in use: ")
                .append(used.isEmpty() ? "none" : used)
                .append("; free: ")
                .append(free.isEmpty() ? "none" : free);
        if (!inventory.draNodes().isEmpty()) {
            out.append("; free memory slots on DRA GPUs: ").append(draFree);
        }
        out.append('\n');
        return out.toString();
    }

    /**
     * How a node of NVIDIA's DRA driver is partitioned: no MIG Manager, an instance per allocated claim at any free
     * placement; whether the driver has published its whole pool (the scheduler uses only complete pools).
     */
    static String draDriver(DraNode node) {
        long claims = node.held().stream().filter(h -> h.claim() != null).count();
        long planned = node.held().size() - claims;
        return "DRA driver: an instance per allocated ResourceClaim, at any free placement; "
                + (node.complete()
                        ? "all its ResourceSlices are published"
                        : "its ResourceSlices are not all published yet")
                + "; " + claims + " claim(s) hold MIG devices here"
                + (planned > 0 ? ", " + planned + " more planned" : "");
    }

    /** What holds instance {@code i} of GPU {@code gpu} of a DRA node: the allocated claim, or a planned replica. */
    private static DraNode.Held held(DraNode node, int gpu, InstanceState i) {
        return node.held().stream()
                .filter(h ->
                        h.gpu() == gpu && h.start() == i.start() && h.profile().equals(i.profile()))
                .findFirst()
                .orElse(null);
    }

    /** The claim that holds an instance, unless the holder's name already is it; or that none is allocated. */
    private static String claimOf(DraNode.Held held, InstanceState i) {
        if (held.claim() == null) {
            return " (its claim is not allocated yet)";
        }
        String claim = "claim " + held.claim().getMetadata().getNamespace() + "/"
                + held.claim().getMetadata().getName();
        return claim.equals(i.replica()) ? "" : " via " + claim;
    }

    /**
     * Whether an instance only stands for free space of a DRA GPU whose node takes no new pods (the inventory holds
     * it for the planner, so nothing is planned there); the picture shows that space as free.
     */
    static boolean isPlaceholder(InstanceState i) {
        return !i.isFree() && i.demand() == null && i.replica().startsWith("unavailable/");
    }

    /** The memory slots of a dynamic GPU no instance covers: any legal placement there can be made at once. */
    static int freeSlots(GpuState gpu) {
        int covered = gpu.instances().stream()
                .filter(i -> !isPlaceholder(i))
                .mapToInt(i -> gpu.model()
                        .profile(i.profile())
                        .map(p -> p.memorySlices())
                        .orElse(1))
                .sum();
        return gpu.model().memorySlices() - covered;
    }

    /**
     * MIG Manager's state on the node and the last repartition Quartet asked for, with its outcome: in progress,
     * applied, failed (with the failure Quartet recorded and what it rolled back to), or overridden since.
     */
    static String migManager(GpuNode node) {
        String state = node.migState() == null ? "no state reported" : node.migState();
        StringBuilder line = new StringBuilder("MIG Manager: " + state + "; ");
        String requested = node.annotation(QuartetLabels.NODE_CONFIG);
        if (requested == null) {
            line.append("Quartet has not repartitioned this node");
        } else {
            String at = node.annotation(QuartetLabels.NODE_CONFIG_REQUESTED_AT);
            line.append("last repartition: ").append(requested);
            if (at != null) {
                line.append(" requested at ").append(at);
            }
            line.append(", ");
            if (!requested.equals(node.migConfig())) {
                line.append("since replaced by ").append(node.migConfig());
            } else if ("success".equals(node.migState())) {
                line.append("applied");
            } else if ("failed".equals(node.migState())) {
                line.append("failed");
            } else {
                line.append("in progress");
            }
        }
        String failure = node.annotation(QuartetLabels.NODE_LAST_FAILURE);
        if (failure != null) {
            try {
                JsonNode f = JSON.readTree(failure);
                line.append("; last failure: ")
                        .append(f.path("config").asText())
                        .append(" at ")
                        .append(f.path("at").asText())
                        .append(" (")
                        .append(f.path("reason").asText())
                        .append("), ")
                        .append(
                                f.path("rolledBackTo").isTextual()
                                        ? "rolled back to "
                                                + f.path("rolledBackTo").asText()
                                        : "nothing to roll back to")
                        .append(", no retry before ")
                        .append(f.path("retryAfter").asText());
            } catch (Exception e) {
                line.append("; unreadable failure record");
            }
        }
        String staged = node.annotation(QuartetLabels.NODE_CONFIG_STAGED);
        if (staged != null) {
            int at = staged.lastIndexOf('@');
            line.append("; next: ")
                    .append(at > 0 ? staged.substring(0, at) : staged)
                    .append(at > 0 ? ", written at " + staged.substring(at + 1) : "")
                    .append(", selected once MIG Manager's copy of the ConfigMap shows it");
        }
        return line.toString();
    }

    /**
     * {@code |1g.6gb default/a-0 |1g.6gb free |...|} with each instance as wide as its memory slots. On a dynamic
     * (DRA) GPU only the instances claims hold exist: each run of slots between them is one {@code free} cell.
     */
    static String row(GpuState gpu) {
        int slots = gpu.model().memorySlices();
        StringBuilder row = new StringBuilder("|");
        int slot = 0;
        while (slot < slots) {
            final int at = slot;
            InstanceState instance = gpu.instances().stream()
                    .filter(i -> i.start() == at && !(gpu.dynamic() && isPlaceholder(i)))
                    .findFirst()
                    .orElse(null);
            int size = instance == null
                    ? (gpu.dynamic() ? freeRun(gpu, at) : 1)
                    : gpu.model()
                            .profile(instance.profile())
                            .map(p -> p.memorySlices())
                            .orElse(1);
            String text = instance == null
                    ? (gpu.dynamic() ? "free" : "-")
                    : instance.profile() + " " + (instance.isFree() ? "free" : instance.replica());
            int width = size * slotWidth(slots) - 1;
            row.append(fit(text, width)).append('|');
            slot += size;
        }
        return row.toString();
    }

    /** How many slots from {@code start} of a dynamic GPU up to the next instance (or the end) are free. */
    private static int freeRun(GpuState gpu, int start) {
        int end = gpu.model().memorySlices();
        for (InstanceState i : gpu.instances()) {
            if (!isPlaceholder(i) && i.start() > start && i.start() < end) {
                end = i.start();
            }
        }
        return end - start;
    }

    private static String fit(String text, int width) {
        String t = " " + text;
        if (t.length() > width) {
            return t.substring(0, width - 1) + "~";
        }
        return t + " ".repeat(width - t.length());
    }

    /** The start of the line under an instance that names what holds it: profile, slot and holder. */
    private static StringBuilder holderLine(StringBuilder out, InstanceState i) {
        return out.append("        ")
                .append(i.profile())
                .append(" at slot ")
                .append(i.start())
                .append(": ")
                .append(i.replica());
    }
}
