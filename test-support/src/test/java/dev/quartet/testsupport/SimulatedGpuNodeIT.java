package dev.quartet.testsupport;

import static dev.quartet.testsupport.ClusterAssertions.allocatable;
import static dev.quartet.testsupport.ClusterAssertions.eventually;
import static dev.quartet.testsupport.ClusterAssertions.label;
import static dev.quartet.testsupport.ClusterAssertions.readyStatus;
import static dev.quartet.testsupport.ClusterAssertions.selectConfig;
import static dev.quartet.testsupport.ClusterAssertions.selectConfigAndWait;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.GpuSnapshot;
import dev.quartet.sim.Strictness;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The simulated GPU nodes on the real control plane: scheduler fit, MIG Manager protocol, kubelet, fault knobs. */
@WithLocalCluster
class SimulatedGpuNodeIT {

    private static String ns;
    private final LocalCluster cluster;
    private final KubernetesClient client;

    SimulatedGpuNodeIT(LocalCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @BeforeAll
    static void createNamespace(LocalCluster cluster) {
        ns = cluster.createNamespace("it-sim");
    }

    @AfterAll
    static void deleteNamespace(LocalCluster cluster) {
        cluster.deleteNamespace(ns);
    }

    private List<Pod> podsOn(String node) {
        return client.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> p.getSpec()
                        .getNodeSelector()
                        .get("kubernetes.io/hostname")
                        .equals(node))
                .toList();
    }

    private Pod runPod(String name, String node, String profile) {
        client.pods()
                .inNamespace(ns)
                .resource(TestPods.slicePod(ns, name, node, profile))
                .create();
        eventually()
                .until(() -> TestPods.isRunningReadyAndReported(
                        client.pods().inNamespace(ns).withName(name).get()));
        return client.pods().inNamespace(ns).withName(name).get();
    }

    private void deletePodAndWait(String name) {
        client.pods().inNamespace(ns).withName(name).delete();
        eventually().until(() -> client.pods().inNamespace(ns).withName(name).get() == null);
    }

    private Map<String, String> annotationsOf(HasMetadata object) {
        Map<String, String> a = object == null ? null : object.getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    /** The processes the node's layout annotation reports on the MIG device {@code uuid}, or -1 when not listed. */
    private int processesOn(String node, String uuid) throws Exception {
        String layout = annotationsOf(client.nodes().withName(node).get()).get(NodeAgentReport.MIG_LAYOUT);
        if (layout == null) {
            return -1;
        }
        for (JsonNode gpu : new ObjectMapper().readTree(layout).get("gpus")) {
            for (JsonNode in : gpu.get("instances")) {
                if (uuid.equals(in.get("uuid").asText())) {
                    return in.get("processes").asInt();
                }
            }
        }
        return -1;
    }

    @Test
    void theNodeAgentAloneReportsDevicesAndLayoutsAndANodeWithoutOneGetsNothing() throws Exception {
        try (GpuNodeSimulator withAgent =
                        cluster.startSimulator(o -> o.withGpusPerNode(1).withLayout("4x1g.6gb"));
                GpuNodeSimulator bare = cluster.startSimulator(
                        o -> o.withGpusPerNode(1).withLayout("4x1g.6gb").withNoAgentNodes(Set.of("*")))) {
            String node = withAgent.nodeNames().get(0);
            String bareNode = bare.nodeNames().get(0);
            assertThat(withAgent.hasAgent(node)).isTrue();
            assertThat(bare.hasAgent(bareNode)).isFalse();

            // the agent's pass writes the pod's device a moment after the pod runs, as the simulator gave it
            runPod("agent-p", node, "1g.6gb");
            Pod pod = client.pods().inNamespace(ns).withName("agent-p").get();
            TestPods.MigDeviceAnnotation device = TestPods.migDevice(pod).orElseThrow();
            assertThat(withAgent.layoutOf(node).get(0).slices())
                    .anyMatch(s -> s.uuid().equals(device.uuid()) && (ns + "/agent-p").equals(s.pod()));
            assertThat(annotationsOf(client.nodes().withName(node).get()))
                    .containsKeys(NodeAgentReport.MIG_LAYOUT, NodeAgentReport.MIG_PROFILES);
            eventually().until(() -> processesOn(node, device.uuid()) == 1);

            // deleted: the simulator frees the device, the agent's next pass shows no process on it
            deletePodAndWait("agent-p");
            assertThat(withAgent.layoutOf(node).get(0).slices())
                    .filteredOn(s -> s.uuid().equals(device.uuid()))
                    .singleElement()
                    .satisfies(s -> assertThat(s.pod()).isNull());
            eventually().until(() -> processesOn(node, device.uuid()) == 0);

            // no agent: the pod runs on its device, and nobody says which, nor what the node's GPUs have
            client.pods()
                    .inNamespace(ns)
                    .resource(TestPods.slicePod(ns, "bare-p", bareNode, "1g.6gb"))
                    .create();
            eventually()
                    .until(() -> TestPods.isRunningAndReady(
                            client.pods().inNamespace(ns).withName("bare-p").get()));
            Thread.sleep(3000); // three times the agents' delay
            assertThat(annotationsOf(
                            client.pods().inNamespace(ns).withName("bare-p").get()))
                    .doesNotContainKey(NodeAgentReport.MIG_DEVICE);
            assertThat(annotationsOf(client.nodes().withName(bareNode).get()))
                    .doesNotContainKeys(NodeAgentReport.MIG_LAYOUT, NodeAgentReport.MIG_PROFILES);
            assertThat(bare.layoutOf(bareNode).get(0).slices()).anyMatch(s -> (ns + "/bare-p").equals(s.pod()));
            deletePodAndWait("bare-p");
        }
    }

    @Test
    void aNodeWithFourOneSliceInstancesPerGpuAdvertisesFourPerGpu() {
        String node;
        try (GpuNodeSimulator sim =
                cluster.startSimulator(o -> o.withGpusPerNode(2).withLayout("4x1g.6gb"))) {
            node = sim.nodeNames().get(0);
            Node n = client.nodes().withName(node).get();
            assertThat(n.getMetadata().getLabels())
                    .containsEntry("nvidia.com/gpu.product", "NVIDIA-A30")
                    .containsEntry("nvidia.com/gpu.count", "2")
                    .containsEntry("nvidia.com/mig.capable", "true")
                    .containsEntry("nvidia.com/mig.strategy", "mixed")
                    .containsEntry("nvidia.com/mig-1g.6gb.count", "8")
                    .containsEntry("nvidia.com/mig.config", "all-1g.6gb")
                    .containsEntry("nvidia.com/mig.config.state", "success")
                    .containsEntry("quartet.dev/simulated", "true")
                    .containsEntry("kubernetes.io/hostname", node)
                    .containsEntry("kubernetes.io/os", "linux")
                    .containsEntry("kubernetes.io/arch", "amd64");
            assertThat(allocatable(client, node)).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 8));
            assertThat(readyStatus(client, node)).isEqualTo("True");
            assertThat(sim.layoutOf(node))
                    .hasSize(2)
                    .allSatisfy(gpu -> assertThat(gpu.slices())
                            .extracting(GpuSnapshot.Slice::profile, GpuSnapshot.Slice::start)
                            .containsExactly(
                                    org.assertj.core.groups.Tuple.tuple("1g.6gb", 0),
                                    org.assertj.core.groups.Tuple.tuple("1g.6gb", 1),
                                    org.assertj.core.groups.Tuple.tuple("1g.6gb", 2),
                                    org.assertj.core.groups.Tuple.tuple("1g.6gb", 3)));
            assertThat(client.leases()
                            .inNamespace("kube-node-lease")
                            .withName(node)
                            .get()
                            .getSpec()
                            .getHolderIdentity())
                    .isEqualTo(node);
        }
        assertThat(client.nodes().withName(node).get())
                .as("node deleted on close")
                .isNull();
    }

    @Test
    void fiveOneSlicePodsOnOneGpuLeaveExactlyOnePendingAndEachRunningPodHasItsOwnSlice() {
        try (GpuNodeSimulator sim =
                cluster.startSimulator(o -> o.withGpusPerNode(1).withLayout("4x1g.6gb"))) {
            String node = sim.nodeNames().get(0);
            for (int i = 1; i <= 5; i++) {
                client.pods()
                        .inNamespace(ns)
                        .resource(TestPods.slicePod(ns, node + "-p" + i, node, "1g.6gb"))
                        .create();
            }
            eventually().untilAsserted(() -> {
                List<Pod> pods = podsOn(node);
                assertThat(pods.stream().filter(TestPods::isRunningReadyAndReported))
                        .hasSize(4);
                assertThat(pods.stream()
                                .filter(p -> "Pending".equals(p.getStatus().getPhase())))
                        .singleElement()
                        .satisfies(p -> assertThat(p.getStatus().getConditions())
                                .anySatisfy(c -> {
                                    assertThat(c.getType()).isEqualTo("PodScheduled");
                                    assertThat(c.getReason()).isEqualTo("Unschedulable");
                                    assertThat(c.getMessage()).contains("Insufficient nvidia.com/mig-1g.6gb");
                                }));
            });
            List<Pod> running = podsOn(node).stream()
                    .filter(TestPods::isRunningReadyAndReported)
                    .toList();
            List<TestPods.MigDeviceAnnotation> slices = running.stream()
                    .map(p -> TestPods.migDevice(p).orElseThrow())
                    .toList();
            assertThat(slices).extracting(TestPods.MigDeviceAnnotation::start).containsExactlyInAnyOrder(0, 1, 2, 3);
            assertThat(slices.stream().map(TestPods.MigDeviceAnnotation::uuid).collect(Collectors.toSet()))
                    .hasSize(4);
            assertThat(slices).allSatisfy(s -> {
                assertThat(s.gpu()).isZero();
                assertThat(s.profile()).isEqualTo("1g.6gb");
            });
            Map<String, String> holders = sim.layoutOf(node).get(0).slices().stream()
                    .collect(Collectors.toMap(GpuSnapshot.Slice::uuid, GpuSnapshot.Slice::pod));
            running.forEach(p -> assertThat(
                            holders.get(TestPods.migDevice(p).orElseThrow().uuid()))
                    .isEqualTo(ns + "/" + p.getMetadata().getName()));

            Pod victim = running.get(0);
            int freedStart = TestPods.migDevice(victim).orElseThrow().start();
            deletePodAndWait(victim.getMetadata().getName());
            eventually()
                    .until(() -> podsOn(node).stream()
                                    .filter(TestPods::isRunningReadyAndReported)
                                    .count()
                            == 4);
            assertThat(podsOn(node).stream()
                            .map(p -> TestPods.migDevice(p).orElseThrow().start()))
                    .containsExactlyInAnyOrder(0, 1, 2, 3)
                    .contains(freedStart);
            assertThat(sim.deletedWhileRunning())
                    .extracting(d -> d.name())
                    .containsExactly(victim.getMetadata().getName());
            podsOn(node)
                    .forEach(p -> client.pods()
                            .inNamespace(ns)
                            .withName(p.getMetadata().getName())
                            .delete());
            eventually().until(() -> podsOn(node).isEmpty());
        }
    }

    @Test
    void inTheGentleModelAGpuUnderARunningPodRefusesAndNothingChangesThenItSucceedsOnceItIsGone() {
        // Strictness.gentle() on purpose: this is the all-or-nothing apply the simulator keeps as an option (a GPU a
        // pod merely holds refuses, every GPU is checked before anything changes). NVIDIA's own apply, the default,
        // is NvidiaBehaviourIT.busyMeansProcessesSoAHolderWithoutOneLosesItsSliceAndTheApplyGoesGpuByGpu.
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(1)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofMillis(300)))) {
            String node = sim.nodeNames().get(0);
            Pod pod = runPod(node + "-busy", node, "1g.6gb");
            List<GpuSnapshot> before = sim.layoutOf(node);

            assertThat(selectConfigAndWait(client, node, "all-4g.24gb")).isEqualTo("failed");
            assertThat(sim.lastMigFailure(node))
                    .get()
                    .asString()
                    .contains(ns + "/" + pod.getMetadata().getName());
            assertThat(sim.layoutOf(node)).isEqualTo(before);
            assertThat(allocatable(client, node)).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4));
            assertThat(TestPods.isRunningAndReady(client.pods()
                            .inNamespace(ns)
                            .withName(pod.getMetadata().getName())
                            .get()))
                    .isTrue();
            assertThat(sim.deletedWhileRunning()).isEmpty();

            deletePodAndWait(pod.getMetadata().getName());
            assertThat(selectConfigAndWait(client, node, "all-2g.12gb")).isEqualTo("success");
            assertThat(allocatable(client, node)).isEqualTo(Map.of("nvidia.com/mig-2g.12gb", 2));
            assertThat(label(client, node, "nvidia.com/mig-2g.12gb.count")).isEqualTo("2");
            assertThat(label(client, node, "nvidia.com/mig-1g.6gb.count")).isNull();
            assertThat(sim.layoutOf(node).get(0).describe()).isEqualTo("2g.12gb@0 2g.12gb@2");
            Pod twoG = runPod(node + "-2g", node, "2g.12gb");
            assertThat(TestPods.migDevice(twoG).orElseThrow().profile()).isEqualTo("2g.12gb");
            deletePodAndWait(twoG.getMetadata().getName());
        }
    }

    @Test
    void illegalGeometryAndUnknownConfigEndInFailed() {
        String illegal = "it-illegal-" + System.nanoTime();
        MigConfigs.add(client, illegal, """
        - devices: all
          mig-enabled: true
          mig-devices: {"4g.24gb": 1, "1g.6gb": 1}
        """);
        try (GpuNodeSimulator sim = cluster.startSimulator(
                o -> o.withGpusPerNode(1).withLayout("2x2g.12gb").withReconfigureDelay(Duration.ofMillis(100)))) {
            String node = sim.nodeNames().get(0);
            assertThat(selectConfigAndWait(client, node, illegal)).isEqualTo("failed");
            assertThat(sim.lastMigFailure(node)).get().asString().contains("GPU 0");
            // as mig-parted: the GPU was cleared before the geometry failed, and stays so
            assertThat(sim.layoutOf(node).get(0).describe()).isEqualTo("MIG enabled, no instances");
            assertThat(selectConfigAndWait(client, node, "no-such-config")).isEqualTo("failed");
            assertThat(sim.lastMigFailure(node)).get().asString().contains("not present");
            // the device plugin comes back after the failed apply, with nothing to advertise
            eventually()
                    .untilAsserted(() -> assertThat(allocatable(client, node)).isEmpty());
        } finally {
            MigConfigs.remove(client, illegal);
        }
    }

    @Test
    void gpusWhoseLayoutDoesNotChangeAreSkippedSoTheirPodsKeepRunning() throws InterruptedException {
        String config = "it-keep-" + System.nanoTime();
        try (GpuNodeSimulator sim = cluster.startSimulator(
                o -> o.withGpusPerNode(2).withLayout("4x1g.6gb").withReconfigureDelay(Duration.ofMillis(100)))) {
            String node = sim.nodeNames().get(0);
            Pod pod = runPod(node + "-stay", node, "1g.6gb");
            // the kubelet picked the GPU; the config keeps that one and changes the other
            TestPods.MigDeviceAnnotation slice = TestPods.migDevice(pod).orElseThrow();
            int kept = slice.gpu();
            int changed = 1 - kept;
            MigConfigs.add(client, config, """
            - devices: [%d]
              mig-enabled: true
              mig-devices: {"1g.6gb": 4}
            - devices: [%d]
              mig-enabled: true
              mig-devices: {"2g.12gb": 2}
            """.formatted(kept, changed));
            // MIG Manager's mounted copy of the ConfigMap lags (2 s by default)
            Thread.sleep(sim.options().strictness().configFileLag().toMillis() + 1000);
            assertThat(selectConfigAndWait(client, node, config)).isEqualTo("success");
            List<GpuSnapshot> layout = sim.layoutOf(node);
            assertThat(layout.get(kept).slices())
                    .extracting(GpuSnapshot.Slice::uuid)
                    .contains(slice.uuid());
            assertThat(layout.get(changed).describe()).isEqualTo("2g.12gb@0 2g.12gb@2");
            eventually()
                    .untilAsserted(() -> assertThat(allocatable(client, node))
                            .isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4, "nvidia.com/mig-2g.12gb", 2)));
            assertThat(TestPods.isRunningAndReady(client.pods()
                            .inNamespace(ns)
                            .withName(pod.getMetadata().getName())
                            .get()))
                    .isTrue();
            assertThat(sim.deletedWhileRunning()).isEmpty();
            deletePodAndWait(pod.getMetadata().getName());
        } finally {
            MigConfigs.remove(client, config);
        }
    }

    @Test
    void migManagerFaultKnobsStuckPendingForcedFailureAndDelay() throws InterruptedException {
        try (GpuNodeSimulator sim = cluster.startSimulator(
                o -> o.withGpusPerNode(1).withLayout("1x4g.24gb").withReconfigureDelay(Duration.ofMillis(100)))) {
            String node = sim.nodeNames().get(0);
            sim.stuckPending(node, true);
            selectConfig(client, node, "all-1g.6gb");
            eventually().until(() -> "pending".equals(label(client, node, "nvidia.com/mig.config.state")));
            Thread.sleep(1500);
            assertThat(label(client, node, "nvidia.com/mig.config.state")).isEqualTo("pending");
            sim.stuckPending(node, false);
            eventually().until(() -> "success".equals(label(client, node, "nvidia.com/mig.config.state")));
            eventually()
                    .untilAsserted(
                            () -> assertThat(allocatable(client, node)).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4)));

            sim.forceFailed(node, true);
            assertThat(selectConfigAndWait(client, node, "all-2g.12gb")).isEqualTo("failed");
            eventually()
                    .untilAsserted(
                            () -> assertThat(allocatable(client, node)).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4)));
            sim.forceFailed(node, false);

            sim.setReconfigureDelay(Duration.ofSeconds(3));
            selectConfig(client, node, "all-balanced");
            eventually().until(() -> "pending".equals(label(client, node, "nvidia.com/mig.config.state")));
            Thread.sleep(1000);
            assertThat(label(client, node, "nvidia.com/mig.config.state")).isEqualTo("pending");
            eventually().until(() -> "success".equals(label(client, node, "nvidia.com/mig.config.state")));
            assertThat(sim.layoutOf(node).get(0).describe()).isEqualTo("2g.12gb@0 1g.6gb@2 1g.6gb@3");
        }
    }

    @Test
    void aNotReadyNodeStopsItsKubeletAndTheRealNodeControllerReacts() {
        try (GpuNodeSimulator sim =
                cluster.startSimulator(o -> o.withGpusPerNode(1).withLayout("4x1g.6gb"))) {
            String node = sim.nodeNames().get(0);
            Pod pod = runPod(node + "-stranded", node, "1g.6gb");
            sim.setNotReady(node, true);
            assertThat(readyStatus(client, node)).isNotEqualTo("True");
            eventually()
                    .untilAsserted(() -> assertThat(client.nodes()
                                    .withName(node)
                                    .get()
                                    .getSpec()
                                    .getTaints())
                            .anySatisfy(t -> assertThat(t.getKey())
                                    .isIn("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")));
            client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).delete();
            eventually()
                    .until(() -> client.pods()
                                    .inNamespace(ns)
                                    .withName(pod.getMetadata().getName())
                                    .get()
                                    .getMetadata()
                                    .getDeletionTimestamp()
                            != null);
            assertThat(sim.layoutOf(node).get(0).slices())
                    .anySatisfy(s -> assertThat(s.pod()).isNotNull());
            assertThat(client.pods()
                            .inNamespace(ns)
                            .withName(pod.getMetadata().getName())
                            .get())
                    .isNotNull();

            sim.setNotReady(node, false);
            assertThat(readyStatus(client, node)).isEqualTo("True");
            eventually()
                    .until(() -> client.pods()
                                    .inNamespace(ns)
                                    .withName(pod.getMetadata().getName())
                                    .get()
                            == null);
            assertThat(sim.layoutOf(node).get(0).slices())
                    .allSatisfy(s -> assertThat(s.pod()).isNull());
            assertThat(sim.deletedWhileRunning())
                    .extracting(d -> d.name())
                    .contains(pod.getMetadata().getName());
        }
    }

    @Test
    void aPodBoundPastTheSchedulerToASliceTheNodeLacksFailsAdmission() {
        try (GpuNodeSimulator sim =
                cluster.startSimulator(o -> o.withGpusPerNode(1).withLayout("4x1g.6gb"))) {
            String node = sim.nodeNames().get(0);
            Pod pod = TestPods.slicePod(ns, node + "-bypass", node, "2g.12gb");
            pod.getSpec().setNodeName(node); // no scheduler fit check
            client.pods().inNamespace(ns).resource(pod).create();
            eventually()
                    .until(() -> "Failed"
                            .equals(client.pods()
                                    .inNamespace(ns)
                                    .withName(node + "-bypass")
                                    .get()
                                    .getStatus()
                                    .getPhase()));
            Pod failed =
                    client.pods().inNamespace(ns).withName(node + "-bypass").get();
            assertThat(failed.getStatus().getReason()).isEqualTo("UnexpectedAdmissionError");
            assertThat(failed.getStatus().getMessage())
                    .contains("nvidia.com/mig-2g.12gb")
                    .contains("Available: 0");
            assertThat(sim.layoutOf(node).get(0).slices())
                    .allSatisfy(s -> assertThat(s.pod()).isNull());
            deletePodAndWait(node + "-bypass");
        }
    }

    @Test
    void podsCreatedByControllersRunToo() {
        try (GpuNodeSimulator sim =
                cluster.startSimulator(o -> o.withGpusPerNode(2).withLayout("2x2g.12gb"))) {
            String node = sim.nodeNames().get(0);
            String name = node + "-deploy";
            Deployment d = new DeploymentBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(ns)
                    .endMetadata()
                    .withNewSpec()
                    .withReplicas(3)
                    .withNewSelector()
                    .addToMatchLabels("app", name)
                    .endSelector()
                    .withNewTemplate()
                    .withNewMetadata()
                    .addToLabels("app", name)
                    .endMetadata()
                    .withSpec(TestPods.slicePod(ns, name, node, "2g.12gb").getSpec())
                    .endTemplate()
                    .endSpec()
                    .build();
            client.apps().deployments().inNamespace(ns).resource(d).create();
            eventually().until(() -> {
                Deployment current = client.apps()
                        .deployments()
                        .inNamespace(ns)
                        .withName(name)
                        .get();
                return current.getStatus() != null
                        && Integer.valueOf(3).equals(current.getStatus().getReadyReplicas());
            });
            // the node's agent reports each pod's device a moment after the pod is Ready
            eventually()
                    .until(() -> client.pods().inNamespace(ns).withLabel("app", name).list().getItems().stream()
                            .allMatch(TestPods::isRunningReadyAndReported));
            Set<String> uuids = new HashSet<>();
            client.pods()
                    .inNamespace(ns)
                    .withLabel("app", name)
                    .list()
                    .getItems()
                    .forEach(p -> uuids.add(TestPods.migDevice(p).orElseThrow().uuid()));
            assertThat(uuids).hasSize(3);
            // the device plugin spreads over GPUs with fewest busy devices: GPU 0 gets two, GPU 1 one (or vice versa)
            assertThat(IntStream.range(0, 2)
                            .map(g -> (int) sim.layoutOf(node).get(g).slices().stream()
                                    .filter(s -> s.pod() != null)
                                    .count())
                            .sum())
                    .isEqualTo(3);
            client.apps().deployments().inNamespace(ns).withName(name).delete();
            eventually()
                    .until(() -> client.pods()
                            .inNamespace(ns)
                            .withLabel("app", name)
                            .list()
                            .getItems()
                            .isEmpty());
        }
    }
}
