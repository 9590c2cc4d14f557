package dev.quartet.inventory;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What Quartet reads off one MIG-capable node: GPU model and count (GFD), readiness, MIG Manager's config
 * label and state, and what the device plugin advertises: the MIG slices per profile and, with the mixed strategy,
 * one {@code nvidia.com/gpu} per GPU whose MIG mode is off ({@code wholeGpus}).
 */
public record GpuNode(
        String name,
        GpuModel model,
        int gpuCount,
        boolean ready,
        Instant readyChangedAt,
        boolean schedulable,
        Map<String, String> labels,
        Map<String, String> annotations,
        List<Taint> taints,
        String migConfig,
        String migState,
        Map<String, Integer> allocatableSlices,
        int wholeGpus,
        NodeBackend backend) {

    /** A node of MIG Manager and the device plugin. */
    public GpuNode(
            String name,
            GpuModel model,
            int gpuCount,
            boolean ready,
            Instant readyChangedAt,
            boolean schedulable,
            Map<String, String> labels,
            Map<String, String> annotations,
            List<Taint> taints,
            String migConfig,
            String migState,
            Map<String, Integer> allocatableSlices,
            int wholeGpus) {
        this(
                name,
                model,
                gpuCount,
                ready,
                readyChangedAt,
                schedulable,
                labels,
                annotations,
                taints,
                migConfig,
                migState,
                allocatableSlices,
                wholeGpus,
                NodeBackend.MIG_MANAGER);
    }

    /**
     * The facts of a node of NVIDIA's DRA driver: model and GPUs from its ResourceSlices, the rest from the node; no
     * MIG Manager label or device-plugin resource is read.
     */
    public static GpuNode fromDra(Node node, DraNode dra) {
        Map<String, String> labels = node.getMetadata().getLabels() == null
                ? Map.of()
                : Map.copyOf(node.getMetadata().getLabels());
        Optional<NodeCondition> readyCondition = readyCondition(node);
        return new GpuNode(
                node.getMetadata().getName(),
                dra.model(),
                dra.gpus().size(),
                readyCondition.map(c -> "True".equals(c.getStatus())).orElse(false),
                readyCondition
                        .map(NodeCondition::getLastTransitionTime)
                        .map(GpuNode::instant)
                        .orElse(Instant.EPOCH),
                node.getSpec() == null || !Boolean.TRUE.equals(node.getSpec().getUnschedulable()),
                labels,
                node.getMetadata().getAnnotations() == null
                        ? Map.of()
                        : Map.copyOf(node.getMetadata().getAnnotations()),
                node.getSpec() == null || node.getSpec().getTaints() == null
                        ? List.of()
                        : List.copyOf(node.getSpec().getTaints()),
                null,
                null,
                Map.of(),
                0,
                NodeBackend.DRA);
    }

    /**
     * The node's facts, or empty when it is not a MIG node Quartet can use (unknown GPU, MIG off, not mixed). A GPU
     * product that is no built-in model is the model its node agent reports a profile table for
     * ({@link ReportedGpuModel}); {@link #unplannedWhy} says why a MIG node is left out.
     */
    public static Optional<GpuNode> from(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null
                ? Map.of()
                : node.getMetadata().getLabels();
        if (!isMixedMigNode(labels)) {
            return Optional.empty();
        }
        Optional<GpuModel> model = model(node, labels);
        if (model.isEmpty()) {
            return Optional.empty();
        }
        int count;
        try {
            count = Integer.parseInt(labels.getOrDefault(NvidiaLabels.GPU_COUNT, "0"));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        Map<String, Integer> slices = new TreeMap<>();
        Map<String, Quantity> allocatable =
                node.getStatus() == null || node.getStatus().getAllocatable() == null
                        ? Map.of()
                        : node.getStatus().getAllocatable();
        allocatable.forEach((resource, quantity) -> {
            String profile = NvidiaLabels.profileOfResource(resource);
            if (profile != null) {
                slices.put(profile, quantity.getNumericalAmount().intValue());
            }
        });
        Quantity whole = allocatable.get(NvidiaLabels.FULL_GPU_RESOURCE);
        Optional<NodeCondition> readyCondition = readyCondition(node);
        boolean ready = readyCondition.map(c -> "True".equals(c.getStatus())).orElse(false);
        Instant readyChangedAt = readyCondition
                .map(NodeCondition::getLastTransitionTime)
                .map(GpuNode::instant)
                .orElse(Instant.EPOCH);
        boolean schedulable =
                node.getSpec() == null || !Boolean.TRUE.equals(node.getSpec().getUnschedulable());
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null
                ? List.of()
                : List.copyOf(node.getSpec().getTaints());
        Map<String, String> annotations = node.getMetadata().getAnnotations() == null
                ? Map.of()
                : Map.copyOf(node.getMetadata().getAnnotations());
        return Optional.of(new GpuNode(
                node.getMetadata().getName(),
                model.get(),
                count,
                ready,
                readyChangedAt,
                schedulable,
                Map.copyOf(labels),
                annotations,
                taints,
                labels.get(NvidiaLabels.MIG_CONFIG),
                labels.get(NvidiaLabels.MIG_CONFIG_STATE),
                Map.copyOf(slices),
                whole == null ? 0 : whole.getNumericalAmount().intValue()));
    }

    private static boolean isMixedMigNode(Map<String, String> labels) {
        return "true".equals(labels.get(NvidiaLabels.MIG_CAPABLE))
                && "mixed".equals(labels.get(NvidiaLabels.MIG_STRATEGY));
    }

    /** The built-in model GFD's product label names, else the one the node agent's report describes. */
    private static Optional<GpuModel> model(Node node, Map<String, String> labels) {
        String product = labels.getOrDefault(NvidiaLabels.GPU_PRODUCT, "");
        Optional<GpuModel> builtIn = GpuModel.fromProductLabel(product);
        if (builtIn.isPresent() || product.isBlank()) {
            return builtIn;
        }
        return Optional.ofNullable(ReportedGpuModel.of(node.getMetadata().getName(), product, annotations(node))
                .model());
    }

    /**
     * Why a MIG node of the mixed strategy is not planned for its GPU model (a product that is no built-in model,
     * without a usable profile table from its node agent), or empty when it is not such a node or its model is known.
     */
    public static Optional<String> unplannedWhy(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null
                ? Map.of()
                : node.getMetadata().getLabels();
        String product = labels.getOrDefault(NvidiaLabels.GPU_PRODUCT, "");
        if (!isMixedMigNode(labels)
                || product.isBlank()
                || GpuModel.fromProductLabel(product).isPresent()) {
            return Optional.empty();
        }
        return Optional.ofNullable(ReportedGpuModel.of(node.getMetadata().getName(), product, annotations(node))
                .problem());
    }

    private static Map<String, String> annotations(Node node) {
        return node.getMetadata().getAnnotations() == null
                ? Map.of()
                : node.getMetadata().getAnnotations();
    }

    /** The node's Ready condition, if its status has one. */
    public static Optional<NodeCondition> readyCondition(Node node) {
        return node.getStatus() == null || node.getStatus().getConditions() == null
                ? Optional.empty()
                : node.getStatus().getConditions().stream()
                        .filter(c -> "Ready".equals(c.getType()))
                        .findFirst();
    }

    private static Instant instant(String rfc3339) {
        try {
            return Instant.parse(rfc3339);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    public String annotation(String key) {
        return annotations.get(key);
    }
}
