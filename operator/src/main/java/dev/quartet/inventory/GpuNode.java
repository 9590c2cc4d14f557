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
        int wholeGpus) {

    /** The node's facts, or empty when it is not a MIG node Quartet can use (unknown GPU, MIG off, not mixed). */
    public static Optional<GpuNode> from(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null
                ? Map.of()
                : node.getMetadata().getLabels();
        if (!"true".equals(labels.get(NvidiaLabels.MIG_CAPABLE))
                || !"mixed".equals(labels.get(NvidiaLabels.MIG_STRATEGY))) {
            return Optional.empty();
        }
        Optional<GpuModel> model = GpuModel.fromProductLabel(labels.getOrDefault(NvidiaLabels.GPU_PRODUCT, ""));
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
