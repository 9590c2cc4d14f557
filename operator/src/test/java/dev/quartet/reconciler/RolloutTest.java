package dev.quartet.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.TestNodes;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A changed spec rolls out without taking more replicas down than maxUnavailable allows; a scale-down ends even
 * while a kept replica keeps failing.
 */
class RolloutTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

    private static MigPartedConfig nvidia() throws IOException {
        return MigPartedConfig.parse(TestNodes.nvidiaDefault());
    }

    private static NodeBuilder a30(String name) {
        return TestNodes.node(
                name,
                "NVIDIA-A30",
                2,
                "all-1g.6gb",
                "success",
                Map.of(NvidiaLabels.resourceName("1g.6gb"), new Quantity("8")));
    }

    private static InferenceDeployment deployment(String name, String profile, int replicas) {
        InferenceDeployment d = TestDeployments.of(name, profile, replicas);
        d.getMetadata().setNamespace("ml");
        d.getMetadata().setUid("uid-" + name);
        d.getMetadata().setGeneration(1L);
        return d;
    }

    /** {@code pod} as the scheduler and the kubelet leave it: bound, on gpu@start, Running and Ready. */
    private static Pod started(Pod pod, String node, int gpu, int start) {
        return new PodBuilder(pod)
                .editMetadata()
                .withCreationTimestamp("2024-05-01T11:00:00Z")
                .addToAnnotations(
                        QuartetLabels.MIG_DEVICE,
                        "{\"gpu\":" + gpu + ",\"profile\":\"1g.6gb\",\"start\":" + start + ",\"uuid\":\"MIG-" + node
                                + gpu + start + "\"}")
                .endMetadata()
                .editSpec()
                .withNodeName(node)
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .addNewContainerStatus()
                .withName("worker")
                .withReady(true)
                .withRestartCount(0)
                .endContainerStatus()
                .endStatus()
                .build();
    }

    private static void put(ReconcileHarness h, Pod p) {
        h.pods.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p);
    }

    private static long ready(ReconcileHarness h) {
        return h.pods.values().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(PodFacts::isReady)
                .count();
    }

    private static List<String> deletions(ReconcileHarness h) {
        return h.log.stream().filter(l -> l.startsWith("delete")).toList();
    }

    @Test
    void aTwoReplicaDeploymentKeepsOneReplicaReadyThroughAModelChange() throws IOException {
        ReconcileHarness h = new ReconcileHarness(NOW, nvidia());
        InferenceDeployment d = deployment("resnet", "1g.6gb", 2);
        h.nodes.add(a30("gpu-1").build());
        h.nodes.add(a30("gpu-2").build());
        put(h, started(h.actuator.factory().desired(d, "1g.6gb", "gpu-1", 0), "gpu-1", 0, 0));
        put(h, started(h.actuator.factory().desired(d, "1g.6gb", "gpu-2", 1), "gpu-2", 0, 0));
        d.getSpec().getModel().setUri("file:///models/tiny-resnet-v2.onnx");

        h.reconcile(d, List.of(d));
        assertThat(deletions(h)).containsExactly("delete ml/resnet-0");
        h.pods.values().removeIf(p -> p.getMetadata().getDeletionTimestamp() != null);

        h.reconcile(d, List.of(d));
        assertThat(deletions(h))
                .as("no second replica down before the first one's replacement runs")
                .containsExactly("delete ml/resnet-0");
        assertThat(ready(h)).isEqualTo(1);
        Pod replacement = h.pods.values().stream()
                .filter(p -> !PodFacts.isBound(p))
                .findFirst()
                .orElseThrow();
        put(h, started(replacement, PodFacts.plannedNode(replacement), 0, 0));

        h.reconcile(d, List.of(d));
        assertThat(deletions(h)).containsExactly("delete ml/resnet-0", "delete ml/resnet-1");
    }

    @Test
    void maxUnavailableTwoLetsTwoGoAtOnce() throws IOException {
        ReconcileHarness h = new ReconcileHarness(NOW, nvidia());
        InferenceDeployment d = deployment("resnet", "1g.6gb", 4);
        d.getSpec().setMaxUnavailable(2);
        h.nodes.add(a30("gpu-1").build());
        h.nodes.add(a30("gpu-2").build());
        for (int i = 0; i < 4; i++) {
            String node = i % 2 == 0 ? "gpu-1" : "gpu-2";
            put(h, started(h.actuator.factory().desired(d, "1g.6gb", node, i), node, 0, i / 2));
        }
        d.getSpec().getModel().setUri("file:///models/tiny-resnet-v2.onnx");

        h.reconcile(d, List.of(d));
        h.pods.values().removeIf(p -> p.getMetadata().getDeletionTimestamp() != null);
        h.reconcile(d, List.of(d));
        h.pods.values().removeIf(p -> p.getMetadata().getDeletionTimestamp() != null);
        h.reconcile(d, List.of(d));

        assertThat(deletions(h)).hasSize(2);
        assertThat(ready(h)).isEqualTo(2);
    }

    @Test
    void aProfileChangeThatNeedsTheOldReplicasGpuSaysWhatHoldsItBack() throws IOException {
        // One A30 in four 1g.6gb slices, all four serving; the spec moves to 2g.12gb. maxUnavailable 1 lets one old
        // replica go, and then the 2g replicas have no slice while three old ones pin the GPU: the rollout cannot
        // go on by itself, and the status says so and what to change.
        ReconcileHarness h = new ReconcileHarness(NOW, nvidia());
        InferenceDeployment d = deployment("resnet", "1g.6gb", 4);
        h.nodes.add(TestNodes.node(
                        "gpu-1",
                        "NVIDIA-A30",
                        1,
                        "all-1g.6gb",
                        "success",
                        Map.of(NvidiaLabels.resourceName("1g.6gb"), new Quantity("4")))
                .build());
        for (int i = 0; i < 4; i++) {
            put(h, started(h.actuator.factory().desired(d, "1g.6gb", "gpu-1", i), "gpu-1", 0, i));
        }
        d.getSpec().getSlice().setProfile("2g.12gb");

        h.reconcile(d, List.of(d));
        assertThat(deletions(h)).containsExactly("delete ml/resnet-0");
        h.pods.values().removeIf(p -> p.getMetadata().getDeletionTimestamp() != null);

        ReconcileHarness.Result blocked = h.reconcile(d, List.of(d));
        assertThat(deletions(h)).containsExactly("delete ml/resnet-0");
        assertThat(ReconcileHarness.conditions(blocked.status()))
                .isEqualTo(
                        "Ready=False/RolloutBlocked, Progressing=False/RolloutBlocked, Degraded=True/RolloutBlocked");
        assertThat(blocked.status().getConditions().get(1).getMessage())
                .isEqualTo("the rollout cannot go on: 4 "
                        + "replicas of the changed spec have no MIG slice (InsufficientSlices), and spec.maxUnavailable 1 "
                        + "keeps the 3 replicas still on the old spec until a replacement is Ready; if the new replicas need "
                        + "the GPUs those hold, raise spec.maxUnavailable (at most 4) to let old replicas go first, else add "
                        + "or free slices");

        d.getSpec().setMaxUnavailable(4);
        ReconcileHarness.Result raised = h.reconcile(d, List.of(d));
        assertThat(deletions(h)).containsExactly("delete ml/resnet-0", "delete ml/resnet-1");
        assertThat(ReconcileHarness.conditions(raised.status())).contains("Progressing=True/RollingOut");
    }

    @Test
    void aScaleDownEndsWhileAKeptReplicaCrashLoops() throws IOException {
        ReconcileHarness h = new ReconcileHarness(NOW, nvidia());
        InferenceDeployment d = deployment("resnet", "1g.6gb", 3);
        h.nodes.add(a30("gpu-1").build());
        Pod failing = started(h.actuator.factory().desired(d, "1g.6gb", "gpu-1", 0), "gpu-1", 0, 0);
        failing.getStatus().getConditions().get(0).setStatus("False");
        failing.getStatus().getContainerStatuses().get(0).setReady(false);
        failing.getStatus().getContainerStatuses().get(0).setRestartCount(7);
        put(h, failing);
        put(h, started(h.actuator.factory().desired(d, "1g.6gb", "gpu-1", 1), "gpu-1", 1, 0));
        put(h, started(h.actuator.factory().desired(d, "1g.6gb", "gpu-1", 2), "gpu-1", 0, 1));
        d.getSpec().setReplicas(2);

        ReconcileHarness.Result r = h.reconcile(d, List.of(d));

        assertThat(r.part().released())
                .as("the failing replica goes, not a healthy one")
                .containsExactly("ml/resnet-0");
        assertThat(deletions(h)).containsExactly("delete ml/resnet-0");
    }
}
