package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.TestNodes;
import dev.quartet.node.LayoutCheck.Verdict;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayoutCheckTest {

    private static final MigPartedConfig NVIDIA = MigPartedConfig.parse(TestNodes.nvidiaDefault());

    /** Two A30s for which MIG Manager reports success with all-1g.6gb, the device plugin advertising 8 x 1g.6gb. */
    private static NodeBuilder a30() {
        return TestNodes.node(
                "gpu-1",
                "NVIDIA-A30",
                2,
                "all-1g.6gb",
                "success",
                Map.of(NvidiaLabels.resourceName("1g.6gb"), new Quantity("8")));
    }

    private static Verdict check(NodeBuilder node) {
        GpuNode n = GpuNode.from(node.build()).orElseThrow();
        return LayoutCheck.verify(
                "all-1g.6gb", LayoutCheck.expected(n, "all-1g.6gb", NVIDIA), LayoutCheck.Observed.of(n, List.of()));
    }

    @Test
    void withoutAnAgentTheNodeWideCountsAreCompared() {
        assertThat(check(a30())).isInstanceOf(Verdict.Matches.class);
    }

    @Test
    void theAgentsLayoutMatchingTheConfigMatches() {
        String each = "1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3";

        assertThat(check(TestNodes.withAgent(a30(), TestNodes.agentLayout(each, each))))
                .isInstanceOf(Verdict.Matches.class);
    }

    /**
     * MIG Manager reported success without creating the instances (NVIDIA/mig-parted#18, #97) while the device plugin
     * still advertises the slices of before: only the agent's NVML layout shows it, and the node does not match (after
     * the verify timeout, NodeTransitions reports MigLayoutMismatch).
     */
    @Test
    void successWithNoInstancesCreatedDiffersWhenTheAgentReportsIt() {
        Verdict v = check(TestNodes.withAgent(a30(), TestNodes.agentLayout("", "")));

        assertThat(v).isInstanceOf(Verdict.Differs.class);
        assertThat(((Verdict.Differs) v).detail()).isEqualTo("GPU 0 has no MIG slices, all-1g.6gb gives it {1g.6gb=4}");
    }

    @Test
    void oneGpuLaidOutOtherwiseDiffers() {
        Verdict v = check(TestNodes.withAgent(
                a30(), TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "1g.6gb@0 1g.6gb@1 2g.12gb@2")));

        assertThat(((Verdict.Differs) v).detail()).startsWith("GPU 1 has {1g.6gb=2, 2g.12gb=1}");
    }

    @Test
    void aMalformedLayoutFallsBackToTheNodeWideCheck() {
        assertThat(check(TestNodes.withAgent(a30(), "not json"))).isInstanceOf(Verdict.Matches.class);
    }
}
