package dev.quartet.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.ReportedH200;
import io.fabric8.kubernetes.api.model.Node;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When a node agent's report describes a GPU Quartet does not know, and when it does not. */
class ReportedGpuModelTest {

    private static Map<String, String> annotations(boolean withTable) {
        Node node = TestNodes.h200Node("h200-1", withTable);
        return new HashMap<>(node.getMetadata().getAnnotations());
    }

    @Test
    void theAgentsTableForTheLabelsProductGivesTheModel() {
        ReportedGpuModel found = ReportedGpuModel.of("h200-1", "NVIDIA-H200", annotations(true));

        assertThat(found.problem()).isNull();
        assertThat(found.model().displayName()).isEqualTo("H200");
        assertThat(found.model().migTable()).isEqualTo(ReportedH200.migTable());
        // GFD's label in another case is the same product
        assertThat(ReportedGpuModel.of("h200-1", "nvidia-h200", annotations(true))
                        .model())
                .isSameAs(found.model());
    }

    @Test
    void gpusOfTwoProductsAreNoModel() {
        Map<String, String> a = annotations(true);
        String layout = a.get(NodeAgentReport.MIG_LAYOUT);
        a.put(
                NodeAgentReport.MIG_LAYOUT,
                layout.replaceFirst("\"product\":\"NVIDIA H200\"", "\"product\":\"NVIDIA H200 NVL\""));

        assertThat(ReportedGpuModel.of("h200-1", "NVIDIA-H200", a).problem())
                .contains("the node agent reports GPUs of products [NVIDIA H200, NVIDIA H200 NVL], not one");
    }

    @Test
    void aTableThePlannerCannotEnumerateIsNoModel() {
        Map<String, String> a = annotations(true);
        // two graphics profiles more (as newer drivers list them): nine, more than the planner's eight per model
        String ninth = ",{\"giProfileId\":27,\"name\":\"1g.18gb+gfx\",\"computeSlices\":1,\"memorySlices\":1,"
                + "\"multiprocessors\":16,\"maxCount\":7,\"memoryMiB\":16384,\"starts\":[0,1,2,3,4,5,6]},"
                + "{\"giProfileId\":28,\"name\":\"2g.35gb+gfx\",\"computeSlices\":2,\"memorySlices\":2,"
                + "\"multiprocessors\":32,\"maxCount\":3,\"memoryMiB\":32768,\"starts\":[0,2,4]}";
        String profiles = a.get(NodeAgentReport.MIG_PROFILES);
        int end = profiles.lastIndexOf(']');
        a.put(NodeAgentReport.MIG_PROFILES, profiles.substring(0, end) + ninth + profiles.substring(end));

        assertThat(ReportedGpuModel.of("h200-1", "NVIDIA-H200", a).problem())
                .isEqualTo("GPU product NVIDIA-H200 is not one of Quartet's models (A30, A100-40GB, A100-80GB,"
                        + " H100-80GB); the node agent reports its MIG profile table, but its MIG table has 9"
                        + " profiles, Quartet plans at most 8; the node is not planned");
    }

    @Test
    void aMalformedProfilesAnnotationIsNamed() {
        Map<String, String> a = annotations(true);
        a.put(NodeAgentReport.MIG_PROFILES, "{not json");

        assertThat(ReportedGpuModel.of("h200-1", "NVIDIA-H200", a).problem())
                .contains("the node agent reports no MIG profile table for NVIDIA H200 in quartet.dev/mig-profiles"
                        + " (quartet.dev/mig-profiles of node h200-1 is malformed");
    }
}
