package dev.quartet.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.sim.GpuNodeSimulator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/** Small builders and readers for pods on simulated GPU nodes. */
public final class TestPods {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestPods() {}

    /** The {@code quartet.dev/mig-device} annotation (docs/contracts.md) as a value. */
    public record MigDeviceAnnotation(int gpu, String profile, int start, String uuid) {}

    /** A pod pinned to {@code node} asking for one {@code nvidia.com/mig-<profile>} slice. */
    public static Pod slicePod(String namespace, String name, String node, String profile) {
        return pod(namespace, name, node, "busybox", Map.of("nvidia.com/mig-" + profile.replace('+', '.'), 1));
    }

    /** A pod pinned to {@code node} (by hostname label, so the real scheduler still checks fit) with these limits. */
    public static Pod pod(String namespace, String name, String node, String image, Map<String, Integer> limits) {
        Map<String, Quantity> quantities = new java.util.LinkedHashMap<>();
        limits.forEach((k, v) -> quantities.put(k, new Quantity(Integer.toString(v))));
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(30L)
                .addToNodeSelector("kubernetes.io/hostname", node)
                .addNewContainer()
                .withName("main")
                .withImage(image)
                .withNewResources()
                .withLimits(quantities)
                .endResources()
                .endContainer()
                .endSpec()
                .build();
    }

    /** The MIG device the simulated device plugin gave the pod, if it got exactly one. */
    public static Optional<MigDeviceAnnotation> migDevice(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(GpuNodeSimulator.MIG_DEVICE_ANNOTATION);
        if (value == null) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(value);
            if (!n.isObject()) {
                return Optional.empty();
            }
            return Optional.of(new MigDeviceAnnotation(
                    n.get("gpu").asInt(),
                    n.get("profile").asText(),
                    n.get("start").asInt(),
                    n.get("uuid").asText()));
        } catch (IOException e) {
            throw new IllegalArgumentException("bad " + GpuNodeSimulator.MIG_DEVICE_ANNOTATION + ": " + value, e);
        }
    }

    /**
     * Running and Ready and, when it asks for MIG devices, annotated with them by its node's agent: the simulated
     * nodes' agents, as real ones, write the annotation about a second after the pod runs, not with it.
     */
    public static boolean isRunningReadyAndReported(Pod pod) {
        if (!isRunningAndReady(pod)) {
            return false;
        }
        boolean asksForMig = pod.getSpec().getContainers().stream()
                .filter(c -> c.getResources() != null && c.getResources().getLimits() != null)
                .flatMap(c -> c.getResources().getLimits().keySet().stream())
                .anyMatch(r -> r.startsWith("nvidia.com/mig-"));
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return !asksForMig || (annotations != null && annotations.containsKey(GpuNodeSimulator.MIG_DEVICE_ANNOTATION));
    }

    public static boolean isRunningAndReady(Pod pod) {
        return pod != null
                && pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase())
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
