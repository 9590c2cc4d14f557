package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.agent.nvml.GpuFacts;
import dev.quartet.agent.nvml.NvmlReader;
import dev.quartet.nvidia.GpuModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The facts the simulated nodes' in-process agents get ({@link SimulatedNvml}) are the facts the agent's own JNA
 * bindings read from the fake C NVML for the same GPUs: the in-process shortcut skips the binding, not a fact.
 */
class SimulatedNvmlTest {

    @ParameterizedTest
    @MethodSource("dev.quartet.sim.SimulatedModels#all")
    void theSameFactsAsTheAgentsJnaBindingsReadFromTheFakeNvml(GpuModel model) {
        List<GpuHardware> gpus = AgentReadsTheSimulatorTest.gpus(model);
        String busy = gpus.get(0).devices().get(1).uuid();
        FakeNvmlState.write(AgentReadsTheSimulatorTest.STATE, FakeNvmlState.render(gpus, Map.of(busy, List.of(4242L))));

        try (NvmlReader nvml = NvmlReader.open(AgentReadsTheSimulatorTest.LIBRARY)) {
            List<GpuFacts> viaJna = nvml.read();

            assertThat(SimulatedNvml.facts(gpus, Map.of(busy, "pod ml/r0"))).isEqualTo(viaJna);
        }
    }
}
