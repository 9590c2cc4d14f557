package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.TestDeployments;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A profile change whose new slices need the GPU the old replicas hold: maxUnavailable 1 lets one old replica go,
 * then the rollout cannot go on and says so (RolloutBlocked); raising maxUnavailable lets the last old replica go,
 * the GPU is repartitioned through MIG Manager and the replicas run on the new profile.
 */
class RolloutIT extends BedPerTest {

    @Test
    void aProfileChangeOnAFullGpuIsBlockedUntilMaxUnavailableLetsTheOldReplicasGo() {
        bed = new OperatorTestBed(
                "rollout",
                o -> o.withNodes(1)
                        .withGpusPerNode(1)
                        .withLayout("4x1g.6gb")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of());
        bed.create(TestDeployments.of("web", "1g.6gb", 2));
        bed.awaitReady("web", 2, SOON);
        bed.allowDeletions("web"); // a rollout replaces running replicas

        bed.edit("web", d -> {
            d.getSpec().getSlice().setProfile("2g.12gb");
            return d;
        });
        await().atMost(SOON)
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(bed.conditionIs("web", "Progressing", "False", "RolloutBlocked"))
                            .isTrue();
                    assertThat(bed.condition("web", "Degraded").orElseThrow().getMessage())
                            .startsWith("the rollout cannot go on: 2 replicas of the changed spec have no MIG slice")
                            .contains("spec.maxUnavailable 1 keeps the 1 replica still on the old spec");
                });
        List<Pod> held = live();
        assertThat(held).singleElement().satisfies(p -> {
            assertThat(PodFacts.isReady(p)).as("the old replica left serves").isTrue();
            assertThat(p.getMetadata().getLabels().get(QuartetLabels.PROFILE)).isEqualTo("1g.6gb");
        });
        assertThat(bed.client.v1().events().inNamespace(bed.namespace).list().getItems())
                .anyMatch(e -> "RolloutBlocked".equals(e.getReason()));

        bed.edit("web", d -> {
            d.getSpec().setMaxUnavailable(2);
            return d;
        });
        bed.awaitReady("web", 2, SOON);
        assertThat(live())
                .hasSize(2)
                .allSatisfy(p -> assertThat(p.getMetadata().getLabels().get(QuartetLabels.PROFILE))
                        .isEqualTo("2g.12gb"));
        assertThat(bed.sim.layoutOf(bed.sim.nodeNames().get(0)).get(0).slices())
                .extracting(s -> s.profile())
                .containsExactly("2g.12gb", "2g.12gb");
        assertThat(bed.conditionIs("web", "Degraded", "False", "AsExpected")).isTrue();
    }

    private List<Pod> live() {
        return bed.pods("web").stream().filter(p -> !PodFacts.isTerminating(p)).toList();
    }
}
