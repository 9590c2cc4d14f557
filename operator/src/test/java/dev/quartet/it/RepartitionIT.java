package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.sim.GpuSnapshot;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Repartitioning through the simulator's MIG Manager (issue 5): two nodes with four A30 GPUs each, all at
 * 4g.24gb, repartitioned two at a time. Only the GPUs a plan needs change; MIG Manager stuck or failing is rolled
 * back and reported; a restart between relabel and success finishes the change once; with no slice reported (as
 * on real nodes) only GPUs that cannot hold a running pod change. No running replica of a non-movable deployment
 * is deleted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepartitionIT {

    static final Duration SOON = Duration.ofSeconds(120);
    static OperatorTestBed bed;

    @BeforeAll
    static void start() {
        bed = new OperatorTestBed(
                "repart",
                o -> o.withNodes(2)
                        .withGpusPerNode(4)
                        .withLayout("1x4g.24gb")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of(
                        "QUARTET_MIG_MANAGER_REPARTITION_TIMEOUT", "15s",
                        "QUARTET_MIG_MANAGER_RETRY_BACKOFF", "10m",
                        "QUARTET_MIG_MANAGER_MAX_CONCURRENT_REPARTITIONS", "2",
                        "QUARTET_MIG_MANAGER_LAYOUT_VERIFY_TIMEOUT", "5s"));
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @AfterEach
    void safety() {
        bed.assertNoNonMovableReplicaDeleted();
    }

    static long gpusWith(String node, String profile) {
        return bed.sim.layoutOf(node).stream()
                .filter(g -> g.slices().stream().anyMatch(s -> s.profile().equals(profile)))
                .count();
    }

    @Test
    @Order(1)
    void onlyTheGpusNeededAreRepartitioned() {
        Map<String, String> states = new ConcurrentHashMap<>();
        AtomicInteger peakPending = new AtomicInteger();
        var watch = bed.client.nodes().watch(new io.fabric8.kubernetes.client.Watcher<Node>() {
            @Override
            public void eventReceived(Action action, Node n) {
                states.put(
                        n.getMetadata().getName(),
                        String.valueOf(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG_STATE)));
                peakPending.accumulateAndGet(
                        (int) states.values().stream()
                                .filter(NvidiaLabels.STATE_PENDING::equals)
                                .count(),
                        Math::max);
            }

            @Override
            public void onClose(io.fabric8.kubernetes.client.WatcherException e) {}
        });
        try {
            bed.create(TestDeployments.of("tiny", "1g.6gb", 8));
            bed.awaitReady("tiny", 8, SOON);
        } finally {
            watch.close();
        }
        // Never more than the limit. Whether the two nodes' applies overlap depends on timing (a 1 s apply on a loaded
        // machine may end before the other node's turn comes), so overlap is not asserted here:
        // MigManagerBackendTest.nodesRepartitionedInOnePassEachKeepTheirConfig shows two nodes applying in one pass.
        assertThat(peakPending.get())
                .as("nodes pending at once (max-concurrent-repartitions is 2)")
                .isBetween(1, 2);
        for (String node : bed.sim.nodeNames()) {
            assertThat(gpusWith(node, "1g.6gb"))
                    .as("GPUs of %s turned into 4x1g.6gb", node)
                    .isEqualTo(1);
            assertThat(gpusWith(node, "4g.24gb"))
                    .as("GPUs of %s left at 4g.24gb", node)
                    .isEqualTo(3);
            Node n = bed.client.nodes().withName(node).get();
            assertThat(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG)).startsWith("quartet-");
            assertThat(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG_STATE))
                    .isEqualTo("success");
        }
        ConfigMap cm = bed.client
                .configMaps()
                .inNamespace(bed.namespace)
                .withName(OperatorTestBed.MIG_CONFIGMAP)
                .get();
        String config = cm.getData().get("config.yaml");
        assertThat(config)
                .as("NVIDIA's own entries and comments are kept")
                .contains("all-balanced:")
                .contains("# A30-24GB")
                .contains("quartet-");
        assertThat(bed.client.v1().events().inAnyNamespace().list().getItems())
                .anyMatch(e -> "MigRepartitionStarted".equals(e.getReason()));
    }

    @Test
    @Order(2)
    void gpusHoldingNonMovableReplicasKeepTheirLayout() {
        Map<String, List<GpuSnapshot>> before = Map.of(
                bed.sim.nodeNames().get(0), bed.sim.layoutOf(bed.sim.nodeNames().get(0)),
                bed.sim.nodeNames().get(1), bed.sim.layoutOf(bed.sim.nodeNames().get(1)));
        bed.create(TestDeployments.of("wide", "2g.12gb", 4));
        bed.awaitReady("wide", 4, SOON);
        before.forEach((node, gpus) -> gpus.stream()
                .filter(g -> g.slices().stream().anyMatch(s -> s.pod() != null))
                .forEach(g -> assertThat(bed.sim.layoutOf(node).get(g.index()).slices())
                        .as("GPU %d of %s holds tiny's replicas", g.index(), node)
                        .isEqualTo(g.slices())));
        assertThat(bed.pods("tiny")).hasSize(8).allMatch(PodFacts::isReady);
    }

    @Test
    @Order(3)
    void migManagerStuckPendingIsRolledBackAndReported() {
        String node = bed.sim.nodeNames().get(0);
        faultIsRolledBackAndReported(node, "stuck", stuck -> bed.sim.stuckPending(node, stuck), "MigManagerTimeout");
    }

    @Test
    @Order(4)
    void migManagerFailureIsRolledBackAndReported() {
        String node = bed.sim.nodeNames().get(1);
        faultIsRolledBackAndReported(node, "failing", fail -> bed.sim.forceFailed(node, fail), "MigManagerFailed");
        assertThat(bed.client.v1().events().inAnyNamespace().list().getItems())
                .anyMatch(e -> "MigManagerFailed".equals(e.getReason()));
    }

    /**
     * With a MIG Manager fault on {@code node}, a deployment that needs that node repartitioned reports
     * {@code reason} naming the node, the node is relabelled to its last good config, and once the fault clears
     * MIG Manager reaches success on it again; tiny's replicas never notice.
     */
    private void faultIsRolledBackAndReported(
            String node, String deployment, java.util.function.Consumer<Boolean> fault, String reason) {
        String good = bed.client
                .nodes()
                .withName(node)
                .get()
                .getMetadata()
                .getLabels()
                .get(NvidiaLabels.MIG_CONFIG);
        fault.accept(true);
        try {
            bed.create(TestDeployments.onNode(TestDeployments.of(deployment, "2g.12gb", 4), node));
            await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
                assertThat(bed.condition(deployment, "Degraded").orElseThrow()).satisfies(c -> {
                    assertThat(c.getStatus()).isEqualTo("True");
                    assertThat(c.getReason()).isEqualTo(reason);
                    assertThat(c.getMessage()).contains(node);
                });
                // tiny runs on that node too, on GPUs the change leaves alone: the failure is not its.
                assertThat(bed.condition("tiny", "Degraded").orElseThrow().getReason())
                        .isEqualTo("AsExpected");
                assertThat(bed.client
                                .nodes()
                                .withName(node)
                                .get()
                                .getMetadata()
                                .getLabels()
                                .get(NvidiaLabels.MIG_CONFIG))
                        .as("rolled back to the last good config")
                        .isEqualTo(good);
            });
        } finally {
            fault.accept(false);
            bed.deployments().inNamespace(bed.namespace).withName(deployment).delete();
        }
        await().atMost(SOON)
                .until(() -> NvidiaLabels.STATE_SUCCESS.equals(bed.client
                        .nodes()
                        .withName(node)
                        .get()
                        .getMetadata()
                        .getLabels()
                        .get(NvidiaLabels.MIG_CONFIG_STATE)));
        assertThat(bed.pods("tiny")).hasSize(8).allMatch(PodFacts::isReady);
    }

    @Test
    @Order(5)
    void anOperatorKilledBetweenRelabelAndSuccessFinishesTheChangeOnce() {
        String node = bed.sim.nodeNames().get(0);
        // The node still carries a back-off from the stuck test: clear it, as an administrator would to retry now.
        bed.client
                .nodes()
                .withName(node)
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"inference.quartet.dev/mig-last-failure\":null}}}");
        bed.sim.setReconfigureDelay(Duration.ofSeconds(8));
        List<String> configs = new CopyOnWriteArrayList<>();
        var watch = bed.client.nodes().withName(node).watch(new io.fabric8.kubernetes.client.Watcher<Node>() {
            @Override
            public void eventReceived(Action action, Node n) {
                String c = n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG);
                if (configs.isEmpty() || !configs.get(configs.size() - 1).equals(c)) {
                    configs.add(c);
                }
            }

            @Override
            public void onClose(io.fabric8.kubernetes.client.WatcherException e) {}
        });
        try {
            bed.create(TestDeployments.onNode(TestDeployments.of("resume", "1g.6gb", 4), node));
            await().atMost(SOON)
                    .until(() -> NvidiaLabels.STATE_PENDING.equals(bed.client
                            .nodes()
                            .withName(node)
                            .get()
                            .getMetadata()
                            .getLabels()
                            .get(NvidiaLabels.MIG_CONFIG_STATE)));
            bed.operator.kill();
            bed.operator.restart();
            bed.awaitReady("resume", 4, SOON);
            assertThat(configs).as("config label history of %s", node).hasSize(2);
            assertThat(configs.get(1)).startsWith("quartet-");
        } finally {
            watch.close();
            bed.sim.setReconfigureDelay(Duration.ofSeconds(1));
        }
    }

    @Test
    @Order(6)
    void withSlicesNobodyReportsOnlyGpusThatCannotHoldThemAreRepartitioned() {
        // The node the last test cleared of its back-off: the other one still waits after the failure test.
        String node = bed.sim.nodeNames().get(0);
        // As on real nodes without Quartet's node agent: nothing tells Quartet which slice a running pod got. The
        // simulated nodes' agents stop (else they would write the annotations back), and what they wrote goes: the
        // pods' devices (below) and the nodes' layouts, which an agent never removes itself, as an administrator who
        // turns the agent off removes them (a layout left behind would still be read as the node's).
        bed.sim.nodeNames().forEach(n -> bed.sim.setAgent(n, false));
        bed.sim
                .nodeNames()
                .forEach(n -> bed.client
                        .nodes()
                        .withName(n)
                        .patch(
                                PatchContext.of(PatchType.JSON_MERGE),
                                "{\"metadata\":{\"annotations\":{\"" + NodeAgentReport.MIG_LAYOUT + "\":null,\""
                                        + NodeAgentReport.MIG_PROFILES + "\":null}}}"));
        try {
            unseenSlices(node);
        } finally {
            bed.sim.nodeNames().forEach(n -> bed.sim.setAgent(n, true));
        }
    }

    private void unseenSlices(String node) {
        for (Pod pod : bed.client.pods().inNamespace(bed.namespace).list().getItems()) {
            if (pod.getMetadata().getAnnotations() != null
                    && pod.getMetadata().getAnnotations().containsKey(QuartetLabels.MIG_DEVICE)) {
                bed.client
                        .pods()
                        .inNamespace(bed.namespace)
                        .withName(pod.getMetadata().getName())
                        .edit(p -> {
                            p.getMetadata().getAnnotations().remove(QuartetLabels.MIG_DEVICE);
                            return p;
                        });
            }
        }
        List<GpuSnapshot> before = bed.sim.layoutOf(node);
        long twoG = gpusWith(node, "2g.12gb");

        bed.create(TestDeployments.onNode(TestDeployments.of("unseen", "2g.12gb", 2), node));
        bed.awaitReady("unseen", 2, SOON, false); // the agents are stopped: nobody reports the devices

        assertThat(gpusWith(node, "2g.12gb"))
                .as("a 4g.24gb GPU of %s split for unseen", node)
                .isEqualTo(twoG + 1);
        before.stream()
                .filter(g -> g.slices().stream().anyMatch(s -> s.pod() != null))
                .forEach(g -> assertThat(bed.sim.layoutOf(node).get(g.index()).slices())
                        .as("GPU %d of %s holds replicas whose slices nobody reported", g.index(), node)
                        .isEqualTo(g.slices()));
    }

    @Test
    @Order(7)
    void aSuccessWithoutTheLayoutIsRolledBackAsMigLayoutMismatch() {
        // The node the failure test left in its back-off: an administrator clears it to retry now.
        String node = bed.sim.nodeNames().get(1);
        bed.client
                .nodes()
                .withName(node)
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"inference.quartet.dev/mig-last-failure\":null}}}");
        String good = bed.client
                .nodes()
                .withName(node)
                .get()
                .getMetadata()
                .getLabels()
                .get(NvidiaLabels.MIG_CONFIG);
        // Long enough to turn the fault off between the rollback's relabel and MIG Manager applying it.
        bed.sim.setReconfigureDelay(Duration.ofSeconds(5));
        bed.sim.successWithoutInstances(node, true);
        try {
            bed.create(TestDeployments.onNode(TestDeployments.of("phantom", "1g.6gb", 4), node));
            await().atMost(SOON).pollInterval(Duration.ofMillis(100)).until(() -> {
                Node n = bed.client.nodes().withName(node).get();
                return n.getMetadata().getAnnotations() != null
                        && n.getMetadata()
                                .getAnnotations()
                                .getOrDefault("inference.quartet.dev/mig-last-failure", "")
                                .contains("MigLayoutMismatch")
                        && good.equals(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG));
            });
            bed.sim.successWithoutInstances(node, false);
            await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
                assertThat(bed.condition("phantom", "Degraded").orElseThrow()).satisfies(c -> {
                    assertThat(c.getStatus()).isEqualTo("True");
                    assertThat(c.getReason()).isEqualTo("MigLayoutMismatch");
                    assertThat(c.getMessage()).contains(node);
                });
                assertThat(bed.condition("tiny", "Degraded").orElseThrow().getReason())
                        .isEqualTo("AsExpected");
            });
            assertThat(bed.client.v1().events().inAnyNamespace().list().getItems())
                    .anyMatch(e -> "MigLayoutMismatch".equals(e.getReason())
                            && node.equals(e.getInvolvedObject().getName()));
        } finally {
            bed.sim.successWithoutInstances(node, false);
            bed.deployments().inNamespace(bed.namespace).withName("phantom").delete();
        }
        // The rollback applied for real: the node is back on its last good config, every GPU with its slices.
        await().atMost(SOON).untilAsserted(() -> {
            Node n = bed.client.nodes().withName(node).get();
            assertThat(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG)).isEqualTo(good);
            assertThat(n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG_STATE))
                    .isEqualTo(NvidiaLabels.STATE_SUCCESS);
            assertThat(bed.sim.layoutOf(node)).allMatch(g -> !g.slices().isEmpty());
        });
        bed.sim.setReconfigureDelay(Duration.ofSeconds(1));
        assertThat(bed.pods("tiny")).hasSize(8).allMatch(PodFacts::isReady);
        assertThat(bed.pods("wide")).hasSize(4).allMatch(PodFacts::isReady);
    }
}
