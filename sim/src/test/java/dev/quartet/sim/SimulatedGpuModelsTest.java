package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.agent.annotations.AnnotationRendering;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.PciDeviceId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The simulator's H200: a GPU the operator does not know, whose node agent reports its profile table. */
class SimulatedGpuModelsTest {

    @Test
    void theH200IsTheSimulatorsOwnAndNoBuiltInLookupFindsIt() {
        GpuModel h200 = SimulatedGpuModels.h200();

        assertThat(SimulatedGpuModels.h200()).isSameAs(h200);
        assertThat(SimulatedGpuModels.parse("h200-141gb")).isSameAs(h200);
        assertThat(h200.isBuiltIn()).isFalse();
        assertThat(h200.product()).isEqualTo("NVIDIA-H200");
        assertThat(h200.pciDeviceId()).isEqualTo("0x233510DE");
        assertThat(h200.profileNames()).isEqualTo("1g.18gb, 1g.18gb+me, 1g.35gb, 2g.35gb, 3g.71gb, 4g.71gb, 7g.141gb");
        assertThat(GpuModel.fromProductLabel("NVIDIA-H200")).isEmpty();
        assertThat(GpuModel.fromPciDeviceId(PciDeviceId.parse("0x233510DE").orElseThrow()))
                .isEmpty();
        assertThatThrownBy(() -> GpuModel.parse("H200-141GB")).hasMessageStartingWith("unknown GPU model");
        assertThat(SimulatedGpuModels.parse("A30")).isSameAs(GpuModel.A30);
        assertThatThrownBy(() -> SimulatedGpuModels.parse("V100"))
                .hasMessage("unknown GPU model 'V100' (legal: A30, A100-40GB, A100-80GB, H100-80GB, H200-141GB)");
    }

    @Test
    void theAgentReportsATableThatDescribesTheSameGpu() throws Exception {
        GpuModel h200 = SimulatedGpuModels.h200();
        List<GpuHardware> gpus = AgentReadsTheSimulatorTest.gpus(h200);

        String annotation = AnnotationRendering.profileTables(SimulatedNvml.facts(gpus, Map.of()));
        Map<String, NodeAgentReport.ProfileTable> tables =
                new ObjectMapper().readValue(annotation, new TypeReference<>() {});

        NodeAgentReport.ProfileTable table = tables.get("NVIDIA H200");
        assertThat(table).isNotNull();
        assertThat(table.memoryMiB()).isEqualTo(143771);
        assertThat(table.migTable().profiles())
                .containsExactlyElementsOf(
                        h200.profiles().stream().map(MigProfile::withoutEngines).toList());
        // What the operator makes of that report is a model of its own, not the simulator's.
        GpuModel operatorsView = GpuModel.ofReported("NVIDIA H200", table.migTable(), (int) table.memoryMiB());
        assertThat(operatorsView).isNotSameAs(h200);
        assertThat(operatorsView.migTable()).isEqualTo(h200.migTable());
    }
}
