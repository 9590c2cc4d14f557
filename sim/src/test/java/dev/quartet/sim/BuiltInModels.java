package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import java.util.List;

/** The built-in GPU models as a JUnit argument source (GpuModel is no enum, so {@code @EnumSource} cannot list it). */
final class BuiltInModels {

    private BuiltInModels() {}

    static List<GpuModel> all() {
        return GpuModel.builtIns();
    }
}
