package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaPlacement;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.GpuSnapshot;
import dev.quartet.sim.Strictness;
import dev.quartet.testsupport.TestPods;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quartet on NVIDIA's stack as it really behaves (issue 17; docs/local-cluster.md, "What the simulator models"): the
 * simulator's defaults are NVIDIA's behaviours, and each test here is one of them that Quartet must cope with, named for
 * it. The safety check after each test fails on any running replica of a non-movable deployment deleted and on any
 * replica whose slice the simulated node destroyed under it or that a reboot ended.
 */
class NvidiaStackIT extends BedPerTest {

    /**
     * The kubelet, not Quartet, picks which free device of a resource a pod gets (at random here, from the seed).
     * Quartet chooses nodes; its guarantees hold wherever the replicas land: spread over nodes, non-movable replicas
     * never touched, only GPUs nothing runs on repartitioned, and the status says where each replica really is.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void everyGuaranteeHoldsWhereverTheKubeletPutsEachReplica(long seed) {
        bed = new OperatorTestBed(
                "choice",
                o -> o.withNodes(2)
                        .withGpusPerNode(3)
                        .withLayout("4x1g.6gb")
                        .withDeviceChoice(Strictness.DeviceChoice.RANDOM, seed),
                Map.of());
        bed.create(TestDeployments.of("tiny", "1g.6gb", 4));
        bed.awaitReady("tiny", 4, SOON);
        assertOnePerNodeAtLeastAndStatusSaysWhereEachRuns("tiny", 2);

        Map<String, List<GpuSnapshot>> before = layouts();
        bed.create(TestDeployments.of("wide", "2g.12gb", 2));
        bed.awaitReady("wide", 2, SOON);

        assertOnePerNodeAtLeastAndStatusSaysWhereEachRuns("wide", 1);
        before.forEach((node, gpus) -> gpus.stream()
                .filter(g -> g.slices().stream().anyMatch(s -> s.pod() != null))
                .forEach(g -> assertThat(bed.sim.layoutOf(node).get(g.index()).slices())
                        .as(
                                "GPU %d of %s holds tiny's replicas (seed %d): its slices and their UUIDs stay",
                                g.index(), node, seed)
                        .isEqualTo(g.slices())));
        assertThat(bed.pods("tiny")).hasSize(4).allMatch(PodFacts::isReady);
    }

    /**
     * For every reconfiguration MIG Manager stops the device plugin on the whole node: its MIG allocatable is 0 until
     * the plugin is back, a while after {@code success}. The repartition is not taken for a failure, and no replica is
     * created there meanwhile (a pod bound to the node then would fail admission: no healthy devices).
     */
    @Test
    void aRepartitionWaitsOutTheOperandShutdownAndNothingIsAdmittedWhileThePluginIsGone() {
        bed = new OperatorTestBed(
                "operands",
                o -> o.withNodes(1)
                        .withGpusPerNode(3)
                        .withLayout("4x1g.6gb")
                        .withReconfigureDelay(Duration.ofSeconds(2))
                        .withOperandShutdown(Duration.ofSeconds(2), Duration.ofSeconds(8)),
                Map.of());
        String node = bed.sim.nodeNames().get(0);
        List<String> refused = new CopyOnWriteArrayList<>();
        Watch watch = bed.client.pods().inNamespace(bed.namespace).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                if (pod.getStatus() != null && "Failed".equals(pod.getStatus().getPhase())) {
                    refused.add(
                            pod.getMetadata().getName() + ": " + pod.getStatus().getReason() + " "
                                    + pod.getStatus().getMessage());
                }
            }

            @Override
            public void onClose(WatcherException e) {}
        });
        try {
            bed.create(TestDeployments.of("tiny", "1g.6gb", 2));
            bed.awaitReady("tiny", 2, SOON);

            bed.create(TestDeployments.of("whole", "4g.24gb", 1));
            // while the node repartitions for whole, more replicas want the free 1g.6gb slices of the same node
            await().atMost(SOON)
                    .until(() -> NvidiaLabels.STATE_PENDING.equals(label(node, NvidiaLabels.MIG_CONFIG_STATE)));
            bed.create(TestDeployments.of("more", "1g.6gb", 2));

            bed.awaitReady("whole", 1, SOON);
            bed.awaitReady("more", 2, SOON);
        } finally {
            watch.close();
        }
        assertThat(refused).as("pods that failed admission on %s", node).isEmpty();
        assertThat(annotation(node, QuartetLabels.NODE_LAST_FAILURE))
                .as("failure recorded on %s", node)
                .isNull();
        assertThat(bed.pods("tiny")).hasSize(2).allMatch(PodFacts::isReady);
    }

    /**
     * mig-parted refuses to destroy only an instance with a process on it: one held by a pod without a process (idle,
     * not started, crash-looping) is destroyed under the pod. So Quartet never repartitions a GPU a replica it may not
     * move holds, whatever that replica runs, even for a higher-priority deployment short of slices.
     */
    @Test
    void aSliceIsNeverDestroyedUnderAnIdleOrCrashLoopingHolder() {
        bed = new OperatorTestBed(
                "holders", o -> o.withNodes(1).withGpusPerNode(2).withLayout("4x1g.6gb"), Map.of());
        String node = bed.sim.nodeNames().get(0);
        bed.create(TestDeployments.of("idle", "1g.6gb", 1));
        bed.create(TestDeployments.of("looping", "1g.6gb", 1));
        bed.awaitReady("idle", 1, SOON);
        bed.awaitReady("looping", 1, SOON);
        markProcess(bed.pods("idle").get(0), "none");
        markProcess(bed.pods("looping").get(0), "crash-looping");
        await().atMost(SOON).until(() -> bed.pods("looping").stream().noneMatch(PodFacts::isReady));
        Map<String, List<GpuSnapshot>> before = layouts();

        bed.create(TestDeployments.withPriority(TestDeployments.of("big", "4g.24gb", 2), 100));

        Set<Integer> held = before.get(node).stream()
                .filter(g -> g.slices().stream().anyMatch(s -> s.pod() != null))
                .map(GpuSnapshot::index)
                .collect(Collectors.toSet());
        int free = 2 - held.size();
        await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
            assertThat(Objects.requireNonNullElse(bed.get("big").getStatus().getReadyReplicas(), 0))
                    .isEqualTo(free);
            assertThat(bed.condition("big", "Degraded").orElseThrow().getReason())
                    .isEqualTo("InsufficientSlices");
        });
        // Long enough for a repartition to have been selected and applied had Quartet planned one.
        await().during(Duration.ofSeconds(8))
                .atMost(Duration.ofSeconds(15))
                .until(() -> bed.sim.disruptedPods().isEmpty());
        for (int gpu : held) {
            assertThat(bed.sim.layoutOf(node).get(gpu).slices())
                    .as("GPU %d of %s, held by replicas without a process", gpu, node)
                    .isEqualTo(before.get(node).get(gpu).slices());
        }
        assertThat(bed.pods("idle")).singleElement().matches(p -> !PodFacts.isTerminating(p));
        assertThat(bed.pods("looping")).singleElement().matches(p -> !PodFacts.isTerminating(p));
    }

    private void assertOnePerNodeAtLeastAndStatusSaysWhereEachRuns(String deployment, int perNode) {
        // each node's agent reports the device a replica got a moment after it is Ready; the status follows
        await().atMost(SOON)
                .until(() -> bed.pods(deployment).stream()
                                .allMatch(p -> TestPods.migDevice(p).isPresent())
                        && bed.get(deployment).getStatus().getPlacements().stream()
                                .allMatch(p -> p.getGpu() != null));
        InferenceDeployment d = bed.get(deployment);
        Map<String, List<ReplicaPlacement>> byNode =
                d.getStatus().getPlacements().stream().collect(Collectors.groupingBy(ReplicaPlacement::getNode));
        assertThat(byNode)
                .as("%s spread over the nodes", deployment)
                .hasSize(2)
                .allSatisfy((n, p) -> assertThat(p).hasSize(perNode));
        Map<String, Integer> realGpu = new HashMap<>();
        for (String node : bed.sim.nodeNames()) {
            for (GpuSnapshot g : bed.sim.layoutOf(node)) {
                g.slices().stream().filter(s -> s.pod() != null).forEach(s -> realGpu.put(s.pod(), g.index()));
            }
        }
        for (Pod pod : bed.pods(deployment)) {
            String id = PodFacts.id(pod);
            assertThat(TestPods.migDevice(pod).orElseThrow().gpu())
                    .as("the device the kubelet gave %s", id)
                    .isEqualTo(realGpu.get(id));
            assertThat(d.getStatus().getPlacements())
                    .as("status placement of %s", id)
                    .anyMatch(p -> p.getPod().equals(pod.getMetadata().getName())
                            && realGpu.get(id).equals(p.getGpu()));
        }
    }

    private Map<String, List<GpuSnapshot>> layouts() {
        Map<String, List<GpuSnapshot>> layouts = new HashMap<>();
        for (GpuNodeSimulator sim : List.of(bed.sim)) {
            sim.nodeNames().forEach(n -> layouts.put(n, sim.layoutOf(n)));
        }
        return layouts;
    }

    private void markProcess(Pod pod, String process) {
        bed.client
                .pods()
                .inNamespace(bed.namespace)
                .withName(pod.getMetadata().getName())
                .edit(p -> {
                    p.getMetadata().getAnnotations().put(GpuNodeSimulator.PROCESS_ANNOTATION, process);
                    return p;
                });
    }

    private String label(String node, String key) {
        Node n = bed.client.nodes().withName(node).get();
        return n.getMetadata().getLabels() == null
                ? null
                : n.getMetadata().getLabels().get(key);
    }

    private String annotation(String node, String key) {
        Node n = bed.client.nodes().withName(node).get();
        return n.getMetadata().getAnnotations() == null
                ? null
                : n.getMetadata().getAnnotations().get(key);
    }
}
