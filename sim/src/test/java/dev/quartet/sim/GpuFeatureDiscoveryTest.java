package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GFD labels and device-plugin resources follow the layout, as node totals. */
class GpuFeatureDiscoveryTest {

    private static List<GpuHardware> node(GpuModel model, int n, String layout) {
        List<GpuHardware> gpus = new ArrayList<>();
        MigLayout l = MigLayout.parse(layout);
        for (int i = 0; i < n; i++) {
            gpus.add(GpuHardware.of(
                    "n", i, model, l.migEnabled(), l.placeOn(model).instances()));
        }
        return gpus;
    }

    @Test
    void labelsAndResourcesAreNodeTotalsOfTheLayout() {
        List<GpuHardware> gpus = node(GpuModel.A30, 4, "2x1g.6gb+1x2g.12gb");
        Map<String, String> labels = GpuFeatureDiscovery.labels(GpuModel.A30, gpus);
        assertThat(labels)
                .containsEntry("nvidia.com/gpu.product", "NVIDIA-A30")
                .containsEntry("nvidia.com/gpu.count", "4")
                .containsEntry("nvidia.com/gpu.memory", "24576")
                .containsEntry("nvidia.com/gpu.family", "ampere")
                .containsEntry("nvidia.com/mig.capable", "true")
                .containsEntry("nvidia.com/mig.strategy", "mixed")
                .containsEntry("nvidia.com/mig-1g.6gb.count", "8")
                .containsEntry("nvidia.com/mig-2g.12gb.count", "4")
                .containsEntry("nvidia.com/mig-2g.12gb.multiprocessors", "28")
                .containsEntry("nvidia.com/mig-2g.12gb.slices.gi", "2")
                .containsEntry("nvidia.com/mig-4g.24gb.count", null)
                .containsEntry("nvidia.com/mig-1g.6gb.me.count", null);
        assertThat(GpuFeatureDiscovery.resources(GpuModel.A30, gpus))
                .containsEntry("nvidia.com/mig-1g.6gb", 8)
                .containsEntry("nvidia.com/mig-2g.12gb", 4)
                .containsEntry("nvidia.com/mig-4g.24gb", null)
                .containsEntry("nvidia.com/gpu", null);
    }

    @Test
    void productNamesFollowTheContract() {
        assertThat(GpuFeatureDiscovery.labels(GpuModel.H100_80GB, node(GpuModel.H100_80GB, 1, "1x7g.80gb")))
                .containsEntry("nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3")
                .containsEntry("nvidia.com/gpu.family", "hopper")
                .containsEntry("nvidia.com/mig-7g.80gb.multiprocessors", "132");
        assertThat(GpuModel.A100_40GB.product()).isEqualTo("NVIDIA-A100-SXM4-40GB");
        assertThat(GpuModel.A100_80GB.product()).isEqualTo("NVIDIA-A100-SXM4-80GB");
        assertThat(GpuModel.A30.profile("1g.6gb+me").orElseThrow().resourceName())
                .isEqualTo("nvidia.com/mig-1g.6gb.me");
    }
}
