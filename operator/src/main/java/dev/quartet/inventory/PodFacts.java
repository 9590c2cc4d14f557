package dev.quartet.inventory;

import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Questions Quartet asks of any pod: which MIG slice it needs, where it is bound, whether it is alive and ready. */
public final class PodFacts {

    private PodFacts() {}

    /** The MIG profile the pod asks for (first {@code nvidia.com/mig-*} request or limit), if any. */
    public static Optional<String> migProfile(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return Optional.empty();
        }
        return Stream.concat(
                        pod.getSpec().getContainers().stream(),
                        pod.getSpec().getInitContainers() == null
                                ? Stream.empty()
                                : pod.getSpec().getInitContainers().stream())
                .map(PodFacts::migResource)
                .flatMap(Optional::stream)
                .findFirst();
    }

    private static Optional<String> migResource(Container c) {
        if (c.getResources() == null) {
            return Optional.empty();
        }
        return Stream.of(c.getResources().getLimits(), c.getResources().getRequests())
                .filter(m -> m != null)
                .flatMap((Map<String, Quantity> m) -> m.keySet().stream())
                .map(NvidiaLabels::profileOfResource)
                .filter(p -> p != null)
                .findFirst();
    }

    /**
     * The profile a Quartet replica pod was created for, from its label (which spells {@code +me} as {@code .me},
     * a label value cannot hold {@code +}); empty when the label is missing.
     */
    public static String replicaProfile(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        String label = labels == null ? null : labels.get(QuartetLabels.PROFILE);
        return label == null ? "" : label.replace(".me", "+me");
    }

    /** Whether the pod uses any {@code nvidia.com/*} resource (a GPU workload). */
    public static boolean usesNvidiaResources(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return false;
        }
        return pod.getSpec().getContainers().stream()
                .filter(c -> c.getResources() != null)
                .flatMap(c ->
                        Stream.of(c.getResources().getLimits(), c.getResources().getRequests()))
                .filter(m -> m != null)
                .flatMap(m -> m.keySet().stream())
                .anyMatch(k -> k.startsWith(NvidiaLabels.RESOURCE_DOMAIN));
    }

    /** The node Quartet planned a replica pod on (set when it creates the pod), or null. */
    public static String plannedNode(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(QuartetLabels.PLANNED_NODE);
    }

    /** The node a replica pod is bound to, or until it is bound the node Quartet planned it on (or null). */
    public static String nodeOrPlanned(Pod pod) {
        return isBound(pod) ? node(pod) : plannedNode(pod);
    }

    public static String node(Pod pod) {
        return pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    }

    public static boolean isBound(Pod pod) {
        String node = node(pod);
        return node != null && !node.isEmpty();
    }

    /** Succeeded or Failed: the pod holds no device any more. */
    public static boolean isFinished(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    public static boolean isTerminating(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }

    public static boolean isReady(Pod pod) {
        return pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** On a node, neither finished nor terminating, and not Ready yet: a replica still starting. */
    public static boolean isStarting(Pod pod) {
        return isBound(pod) && !isFinished(pod) && !isTerminating(pod) && !isReady(pod);
    }

    /** Whether the pod is on a node, not Ready, and a container of it has restarted: failing, not starting. */
    public static boolean isFailing(Pod pod) {
        return isStarting(pod)
                && pod.getStatus() != null
                && pod.getStatus().getContainerStatuses() != null
                && pod.getStatus().getContainerStatuses().stream()
                        .anyMatch(c -> c.getRestartCount() != null && c.getRestartCount() > 0);
    }

    public static String id(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }
}
