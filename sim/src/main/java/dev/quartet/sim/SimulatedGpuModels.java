package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.GpuSpec;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * GPU models the simulator can run that the operator does not know ({@code simulated-gpu-models.yaml}, in the shape
 * of {@code gpu-models.yaml}): registered in {@link GpuModel}'s run-time registry on first use. The operator's label
 * lookups never return them, so a node of one is planned only from its node agent's report, as a real H200 would be.
 */
public final class SimulatedGpuModels {

    private static final List<GpuSpec> SPECS = GpuSpec.readAll(SimulatedGpuModels.class, "simulated-gpu-models.yaml");

    private SimulatedGpuModels() {}

    /** The simulator's H200 (141 GB), which gpu-models.yaml does not describe. */
    public static GpuModel h200() {
        return parse("H200-141GB");
    }

    /** A built-in model by name ({@link GpuModel#parse}), else one of the simulator's own; the message names all. */
    public static GpuModel parse(String name) {
        for (GpuSpec spec : SPECS) {
            if (name != null && spec.name().equalsIgnoreCase(name.trim())) {
                return GpuModel.register(spec);
            }
        }
        try {
            return GpuModel.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown GPU model '" + name + "' (legal: " + legalNames() + ")");
        }
    }

    /** The built-in models' names and the simulator's own, comma-separated. */
    public static String legalNames() {
        return Stream.concat(
                        GpuModel.builtIns().stream().map(GpuModel::displayName),
                        SPECS.stream().map(GpuSpec::name))
                .collect(Collectors.joining(", "));
    }
}
