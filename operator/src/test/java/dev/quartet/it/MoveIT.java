package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.sim.DeletedPod;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Moving replicas of movable deployments (issue 5): the replacement is Ready before the old replica is evicted,
 * and a PodDisruptionBudget that forbids the eviction blocks the repartition and says so.
 */
class MoveIT extends BedPerTest {

    @Test
    void aMovedReplicaIsEvictedOnlyOnceItsReplacementIsReady() {
        bed = new OperatorTestBed(
                "move",
                o -> o.withNodes(2)
                        .withGpusPerNode(1)
                        .withLayout("1x4g.24gb")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of());
        bed.create(TestDeployments.movable("big", "4g.24gb", 1));
        bed.awaitReady("big", 1, SOON);
        Pod old = bed.pods("big").get(0);
        String node = PodFacts.node(old);

        bed.create(TestDeployments.onNode(TestDeployments.of("small", "1g.6gb", 4), node));
        bed.awaitReady("small", 4, SOON);
        bed.awaitReady("big", 1, SOON);

        Pod replacement = bed.pods("big").stream()
                .filter(p -> !PodFacts.isTerminating(p))
                .findFirst()
                .orElseThrow();
        assertThat(PodFacts.node(replacement)).isNotEqualTo(node);
        DeletedPod evicted = bed.sim.deletedWhileRunning().stream()
                .filter(p -> p.name().equals(old.getMetadata().getName()))
                .findFirst()
                .orElseThrow();
        Instant replacementReady = Instant.parse(replacement.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()))
                .findFirst()
                .orElseThrow()
                .getLastTransitionTime());
        assertThat(replacementReady)
                .as("replacement Ready before the old replica was evicted")
                .isBefore(evicted.at());
        assertThat(bed.pods("small")).allMatch(p -> node.equals(PodFacts.node(p)));
    }

    @Test
    void aBudgetThatForbidsEvictionBlocksTheDrainAndSaysSo() {
        bed = new OperatorTestBed(
                "budget",
                o -> o.withNodes(1)
                        .withGpusPerNode(2)
                        .withLayout("1x4g.24gb")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of());
        bed.create(TestDeployments.of("keep", "4g.24gb", 1));
        InferenceDeployment mover = TestDeployments.movable("mover", "4g.24gb", 1);
        mover.getSpec().setMaxUnavailable(0);
        bed.create(mover);
        bed.awaitReady("keep", 1, SOON);
        bed.awaitReady("mover", 1, SOON);
        String moverPod = bed.pods("mover").get(0).getMetadata().getName();

        bed.create(TestDeployments.withPriority(TestDeployments.of("urgent", "1g.6gb", 4), 100));
        await().atMost(SOON)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                bed.condition("urgent", "Degraded").orElseThrow())
                        .satisfies(c -> {
                            assertThat(c.getReason()).isEqualTo("DrainBlockedByDisruptionBudget");
                            assertThat(c.getMessage()).contains(moverPod);
                        }));
        await().atMost(SOON)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                bed.condition("mover", "Degraded").orElseThrow().getReason())
                        .isEqualTo("DrainBlockedByDisruptionBudget"));
        assertThat(bed.pods("mover")).singleElement().satisfies(p -> {
            assertThat(p.getMetadata().getName()).isEqualTo(moverPod);
            assertThat(PodFacts.isTerminating(p)).isFalse();
        });

        bed.edit("mover", d -> {
            d.getSpec().setMaxUnavailable(1);
            return d;
        });
        bed.awaitReady("urgent", 4, SOON);
        await().atMost(SOON)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                bed.condition("mover", "Degraded").orElseThrow().getReason())
                        .isEqualTo("InsufficientSlices"));
        List<Pod> keep = bed.pods("keep");
        assertThat(keep).singleElement().matches(PodFacts::isReady);
    }
}
