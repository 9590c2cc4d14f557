package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.GpuModel;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A deployment asking for memory on a cluster of two GPU models: its replicas get a different profile on each
 * model, and each one is what the spec resolves to there, so none is ever rolled out as outdated.
 */
class MixedModelsIT extends BedPerTest {

    @Test
    void aMemoryRequestGetsEachModelsOwnProfileAndKeepsItsReplicas() {
        bed = new OperatorTestBed(
                "mixed", o -> o.withNodes(1).withGpusPerNode(1).withLayout("4x1g.6gb"), Map.of());
        bed.addSimulator(o -> o.withNodes(1)
                .withGpusPerNode(1)
                .withGpuModel(GpuModel.A100_40GB)
                .withLayout("7x1g.5gb"));
        InferenceDeployment d = TestDeployments.of("by-memory", null, 2);
        d.getSpec().getSlice().setMemoryGiB(5);
        bed.create(d);
        bed.awaitReady("by-memory", 2, SOON);
        assertThat(bed.pods("by-memory"))
                .extracting(p -> p.getMetadata().getLabels().get(QuartetLabels.PROFILE))
                .containsExactlyInAnyOrder("1g.6gb", "1g.5gb");
        Set<String> uids = uids();

        // Before each pod's profile was judged on its own node's model, the replica whose profile differed from
        // the plan's first assignment was deleted as outdated on every pass and created again.
        await().during(Duration.ofSeconds(15))
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(uids()).isEqualTo(uids);
                    assertThat(bed.conditionIs("by-memory", "Progressing", "False", "Stable"))
                            .isTrue();
                });
    }

    private Set<String> uids() {
        return bed.pods("by-memory").stream()
                .filter(p -> !PodFacts.isTerminating(p))
                .map(p -> p.getMetadata().getUid())
                .collect(Collectors.toSet());
    }
}
