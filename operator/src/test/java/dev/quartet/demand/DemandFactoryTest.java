package dev.quartet.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.GpuNode;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Demand;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DemandFactoryTest {

    private static GpuNode node(String name, Map<String, String> labels) {
        return new GpuNode(
                name,
                GpuModel.A30,
                4,
                true,
                Instant.EPOCH,
                true,
                labels,
                Map.of(),
                List.of(),
                "all-1g.6gb",
                "success",
                Map.of("1g.6gb", 16),
                0);
    }

    private static InferenceDeployment deployment(String name, String zone) {
        InferenceDeployment d = TestDeployments.of(name, "1g.6gb", 2);
        d.getMetadata().setNamespace("ns");
        if (zone != null) {
            d.getSpec().getWorker().getNodeSelector().put("zone", zone);
        }
        return d;
    }

    /** Deployments with the same selector share one walk over the nodes; the answers are those of a walk each. */
    @Test
    void deploymentsWithTheSameSelectorShareOneAnswer() {
        List<GpuNode> nodes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            nodes.add(node("n" + i, Map.of("zone", i % 2 == 0 ? "a" : "b")));
        }
        Map<List<Object>, Optional<Set<String>>> eligibility = new HashMap<>();
        Demand a1 = DemandFactory.demand(deployment("a1", "a"), nodes, eligibility);
        Demand a2 = DemandFactory.demand(deployment("a2", "a"), nodes, eligibility);
        Demand b = DemandFactory.demand(deployment("b", "b"), nodes, eligibility);
        Demand any = DemandFactory.demand(deployment("any", null), nodes, eligibility);

        assertThat(a1.eligibleNodes()).containsExactlyInAnyOrder("n0", "n2", "n4", "n6", "n8");
        assertThat(a2.eligibleNodes()).isSameAs(a1.eligibleNodes());
        assertThat(b.eligibleNodes()).containsExactlyInAnyOrder("n1", "n3", "n5", "n7", "n9");
        assertThat(any.eligibleNodes()).isNull(); // every node qualifies
        // selector x (new replicas, running ones): three selectors, two questions each
        assertThat(eligibility).hasSize(6);
        for (String name : List.of("a1", "b", "any")) {
            InferenceDeployment d = deployment(name, name.equals("any") ? null : name.substring(0, 1));
            Demand alone = DemandFactory.demand(d, nodes);
            Demand shared = DemandFactory.demand(d, nodes, eligibility);
            assertThat(shared).isEqualTo(alone);
        }
    }
}
