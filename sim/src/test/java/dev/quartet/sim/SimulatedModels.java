package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Every model the simulator runs, as a JUnit argument source (GpuModel is no enum, so {@code @EnumSource} cannot list
 * it): the built-in ones and the simulator's own (an H200 the operator does not know).
 */
final class SimulatedModels {

    private SimulatedModels() {}

    static List<GpuModel> all() {
        List<GpuModel> all = new ArrayList<>(GpuModel.builtIns());
        all.add(SimulatedGpuModels.h200());
        return all;
    }
}
