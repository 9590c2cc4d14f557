package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.model.TestDeployments;
import dev.quartet.sim.GpuSnapshot;
import dev.quartet.testsupport.TestPods;
import dev.quartet.testsupport.TestPods.MigDeviceAnnotation;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A foreign pod (not Quartet's) holding a MIG slice, reported by the node agent: Quartet pins exactly the GPU the
 * agent names, not every GPU that could hold the slice (the pessimistic rule of {@code
 * RepartitionIT#withSlicesNobodyReportsOnlyGpusThatCannotHoldThemAreRepartitioned}, which applies only when
 * nobody reports). A bed of its own (RepartitionIT's tests share two nodes in a fixed order): one node with four A30
 * GPUs at 4g.24gb, adopted by Quartet, so each GPU still at 4g.24gb could hold the foreign pod's slice and the
 * pessimistic rule would keep them all.
 */
class ForeignSliceIT {

    static final Duration SOON = Duration.ofSeconds(120);
    static OperatorTestBed bed;

    @BeforeAll
    static void start() {
        bed = new OperatorTestBed(
                "foreign",
                o -> o.withNodes(1)
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

    @Test
    void aForeignPodsReportedSlicePinsOnlyItsGpu() {
        String node = bed.sim.nodeNames().get(0);
        String foreign = "foreign-4g";
        // Quartet first adopts the node (a node it never repartitioned that runs other GPU workloads is kept as is
        // whole): four 1g.6gb replicas turn one GPU into 4x1g.6gb, the other three stay at 4g.24gb.
        bed.create(TestDeployments.onNode(TestDeployments.of("adopt", "1g.6gb", 4), node));
        bed.awaitReady("adopt", 4, SOON);
        assertThat(gpusWith(node, "4g.24gb"))
                .as("GPUs of %s left at 4g.24gb", node)
                .isEqualTo(3);
        // A plain pod, no Quartet labels, holding one of the three 4g.24gb slices (the device plugin picks which).
        bed.client
                .pods()
                .inNamespace(bed.namespace)
                .resource(TestPods.slicePod(bed.namespace, foreign, node, "4g.24gb"))
                .create();
        try {
            AtomicReference<MigDeviceAnnotation> device = new AtomicReference<>();
            await().atMost(SOON).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                Pod p = bed.client
                        .pods()
                        .inNamespace(bed.namespace)
                        .withName(foreign)
                        .get();
                assertThat(TestPods.isRunningReadyAndReported(p))
                        .as("%s running and its device reported by the agent", foreign)
                        .isTrue();
                device.set(TestPods.migDevice(p).orElseThrow());
            });
            MigDeviceAnnotation held = device.get();
            assertThat(held.profile()).isEqualTo("4g.24gb");
            List<GpuSnapshot> before = bed.sim.layoutOf(node);
            GpuSnapshot pinned = before.get(held.gpu());
            assertThat(pinned.slices())
                    .as("the simulator's view of GPU %d of %s", held.gpu(), node)
                    .singleElement()
                    .satisfies(s -> {
                        assertThat(s.uuid()).isEqualTo(held.uuid());
                        assertThat(s.pod()).isEqualTo(bed.namespace + "/" + foreign);
                    });
            // Three GPUs could hold a 4g.24gb slice: the pessimistic rule would keep all three, leaving no room for
            // eight more 1g.6gb replicas (two GPUs at 4x1g.6gb). With the agent's report only the foreign pod's GPU
            // is pinned, and the other two are repartitioned.
            List<Integer> couldHoldIt = before.stream()
                    .filter(g -> g.index() != held.gpu())
                    .filter(g -> g.slices().stream().allMatch(s -> s.profile().equals("4g.24gb")))
                    .map(GpuSnapshot::index)
                    .toList();
            assertThat(couldHoldIt)
                    .as("free 4g.24gb GPUs of %s besides the foreign pod's", node)
                    .hasSize(2);
            bed.create(TestDeployments.onNode(TestDeployments.of("around", "1g.6gb", 8), node));
            try {
                bed.awaitReady("around", 8, SOON);

                List<GpuSnapshot> after = bed.sim.layoutOf(node);
                assertThat(after.get(held.gpu()).slices())
                        .as("GPU %d of %s, holding the foreign pod", held.gpu(), node)
                        .isEqualTo(pinned.slices());
                after.stream()
                        .filter(g -> g.index() != held.gpu())
                        .forEach(g -> assertThat(g.slices())
                                .as(
                                        "GPU %d of %s (could hold a 4g.24gb slice, holds none): %s",
                                        g.index(), node, g.describe())
                                .hasSize(4)
                                .allMatch(s -> s.profile().equals("1g.6gb") && s.pod() != null));
                Pod p = bed.client
                        .pods()
                        .inNamespace(bed.namespace)
                        .withName(foreign)
                        .get();
                assertThat(TestPods.isRunningAndReady(p))
                        .as("%s still running", foreign)
                        .isTrue();
                assertThat(TestPods.migDevice(p)).as("device of %s", foreign).contains(held);
            } finally {
                bed.allowDeletions("around");
                bed.deployments().inNamespace(bed.namespace).withName("around").delete();
            }
        } finally {
            bed.client.pods().inNamespace(bed.namespace).withName(foreign).delete();
            bed.allowDeletions("adopt");
            bed.deployments().inNamespace(bed.namespace).withName("adopt").delete();
        }
    }

    static long gpusWith(String node, String profile) {
        return bed.sim.layoutOf(node).stream()
                .filter(g -> g.slices().stream().anyMatch(s -> s.profile().equals(profile)))
                .count();
    }
}
