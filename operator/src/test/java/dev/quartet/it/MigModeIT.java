package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.sim.GpuSnapshot;
import io.fabric8.kubernetes.api.model.Node;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * GPUs with MIG mode off (a node started with layout {@code disabled}: the device plugin advertises
 * {@code nvidia.com/gpu} for them). Changing MIG mode resets the GPU and may reboot the node, so Quartet never does
 * it unless the chart value {@code migManager.allowMigModeChange} says so; then the node is changed whole.
 */
class MigModeIT extends BedPerTest {

    @Test
    void aGpuWithMigOffIsNotCapacityAndTheShortDeploymentSaysWhy() {
        bed = new OperatorTestBed(
                "migoff",
                o -> o.withNodes(1)
                        .withGpusPerNode(2)
                        .withLayout("disabled")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of());
        String node = bed.sim.nodeNames().get(0);
        String config = label(node, NvidiaLabels.MIG_CONFIG);

        bed.create(TestDeployments.of("tiny", "1g.6gb", 2));

        await().atMost(SOON)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                bed.condition("tiny", "Degraded").orElseThrow())
                        .satisfies(c -> {
                            assertThat(c.getStatus()).isEqualTo("True");
                            assertThat(c.getMessage())
                                    .contains("2 of 2 replicas have no MIG slice")
                                    .contains("GPU(s) [0, 1] of " + node + " have MIG mode off")
                                    .contains("migManager.allowMigModeChange");
                        }));
        // Long enough for a repartition to have started had Quartet planned one (propagation delay 3 s).
        await().during(Duration.ofSeconds(6))
                .atMost(Duration.ofSeconds(10))
                .until(() -> config.equals(label(node, NvidiaLabels.MIG_CONFIG))
                        && label(node, "inference.quartet.dev/mig-config-staged") == null);
        assertThat(bed.sim.layoutOf(node)).noneMatch(GpuSnapshot::migEnabled);
        assertThat(bed.pods("tiny")).isEmpty();
    }

    @Test
    void whenAllowedMigIsTurnedOnAndReplicasRun() {
        bed = new OperatorTestBed(
                "migon",
                o -> o.withNodes(1)
                        .withGpusPerNode(2)
                        .withLayout("disabled")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of("QUARTET_MIG_MANAGER_ALLOW_MIG_MODE_CHANGE", "true"));
        String node = bed.sim.nodeNames().get(0);

        bed.create(TestDeployments.of("tiny", "1g.6gb", 2));
        bed.awaitReady("tiny", 2, SOON);

        assertThat(label(node, NvidiaLabels.MIG_CONFIG)).startsWith("quartet-");
        assertThat(bed.sim.layoutOf(node)).anyMatch(GpuSnapshot::migEnabled);
        assertThat(bed.client.v1().events().inAnyNamespace().list().getItems())
                .anyMatch(e -> "MigRepartitionStarted".equals(e.getReason())
                        && e.getMessage().contains("turning MIG mode on"));
    }

    private String label(String node, String key) {
        Node n = bed.client.nodes().withName(node).get();
        Map<String, String> labels = n.getMetadata().getLabels();
        Map<String, String> annotations = n.getMetadata().getAnnotations();
        if (labels != null && labels.containsKey(key)) {
            return labels.get(key);
        }
        return annotations == null ? null : annotations.get(key);
    }
}
