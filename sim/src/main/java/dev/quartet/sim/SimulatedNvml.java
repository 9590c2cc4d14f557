package dev.quartet.sim;

import dev.quartet.agent.nvml.GpuFacts;
import dev.quartet.agent.nvml.InstanceFacts;
import dev.quartet.agent.nvml.ProfileFacts;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.MigProfileTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What the node agent's NVML reader reports for a simulated node, taken straight from the simulated GPUs: the same
 * facts the fake C NVML serves from {@link FakeNvmlState}'s file, read there through the agent's JNA bindings
 * ({@code SimulatedNvmlTest} holds the two equal for every GPU model). The in-process agents of the simulated nodes
 * use this; the JNA path is tested separately (node-agent's AgentProcessIT and FakeNodeTest, and
 * AgentReadsTheSimulatorTest).
 */
final class SimulatedNvml {

    private SimulatedNvml() {}

    /** Every GPU as NVML lists it; {@code processes} holds the MIG devices (by UUID) a process runs on. */
    static List<GpuFacts> facts(List<GpuHardware> gpus, Map<String, ?> processes) {
        List<GpuFacts> result = new ArrayList<>();
        for (GpuHardware gpu : gpus) {
            GpuModel model = gpu.model();
            MigProfileTable table = model.migTable();
            List<ProfileFacts> profiles = new ArrayList<>();
            for (MigProfile p : table.profiles()) {
                // NVML lists no possible placement while MIG mode is off (the fake NVML follows it)
                boolean placements = gpu.migEnabled();
                profiles.add(new ProfileFacts(
                        NvmlProfileIndex.of(p, table),
                        p.giProfileId(),
                        p.name(),
                        p.computeSlices(),
                        placements ? p.memorySlices() : 0,
                        p.maxCount(),
                        p.multiprocessors(),
                        (long) model.memoryMiB() * p.memorySlices() / table.memorySlices(),
                        placements ? p.starts().stream().sorted().toList() : List.of()));
            }
            profiles.sort(Comparator.comparingInt(ProfileFacts::index));
            List<InstanceFacts> instances = new ArrayList<>();
            if (gpu.migEnabled()) {
                List<MigDevice> devices = gpu.devices();
                for (int i = 0; i < devices.size(); i++) {
                    MigDevice d = devices.get(i);
                    // GPU instance ids count from 1 in creation order, as FakeNvmlState numbers them
                    instances.add(new InstanceFacts(
                            i + 1,
                            d.profile().giProfileId(),
                            d.profile().name(),
                            d.start(),
                            d.profile().memorySlices(),
                            d.uuid(),
                            processes.containsKey(d.uuid()) ? 1 : 0));
                }
                instances.sort(Comparator.comparingInt(InstanceFacts::start).thenComparingInt(InstanceFacts::giId));
            }
            result.add(new GpuFacts(
                    gpu.index(),
                    gpu.uuid(),
                    FakeNvmlState.nvmlName(model),
                    model.memoryMiB(),
                    true,
                    gpu.migEnabled(),
                    gpu.migEnabled(),
                    profiles,
                    instances));
        }
        return result;
    }
}
