package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.TestDeployments;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.SimulatedGpuModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A GPU the operator does not know (the simulator's H200, missing from gpu-models.yaml) is planned from the profile
 * table its node agent reports: a deployment of an H200 profile gets Ready there, on a cluster whose other node is an
 * A30 that has no such profile. The operator runs in its own process, so nothing the simulator registers in this JVM
 * reaches it: it learns the H200 from the node's annotations alone.
 */
class UnknownGpuModelIT extends BedPerTest {

    @Test
    void aDeploymentOfAnH200ProfileGetsReadyOnTheNodeTheAgentDescribes() {
        bed = new OperatorTestBed("h200", o -> o.withNodes(1).withGpusPerNode(1).withLayout("4x1g.6gb"), Map.of());
        GpuNodeSimulator h200 = bed.addSimulator(o -> o.withNodes(1)
                .withGpusPerNode(1)
                .withGpuModel(SimulatedGpuModels.h200())
                .withLayout("none"));
        String node = h200.nodeNames().get(0);

        bed.create(TestDeployments.of("llm", "1g.18gb", 2));

        bed.awaitReady("llm", 2, SOON);
        assertThat(bed.pods("llm")).allSatisfy(p -> {
            assertThat(p.getSpec().getNodeName()).isEqualTo(node);
            assertThat(p.getMetadata().getLabels()).containsEntry(QuartetLabels.PROFILE, "1g.18gb");
        });
    }
}
