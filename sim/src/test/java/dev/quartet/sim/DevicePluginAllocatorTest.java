package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The device plugin's choice of a concrete MIG device. */
class DevicePluginAllocatorTest {

    private final MigProfile oneG = GpuModel.A30.profile("1g.6gb").orElseThrow();
    private final List<GpuHardware> gpus = List.of(
            GpuHardware.of(
                    "n",
                    0,
                    GpuModel.A30,
                    true,
                    MigLayout.parse("4x1g.6gb").placeOn(GpuModel.A30).instances()),
            GpuHardware.of(
                    "n",
                    1,
                    GpuModel.A30,
                    true,
                    MigLayout.parse("4x1g.6gb").placeOn(GpuModel.A30).instances()));

    @Test
    void spreadsOverGpusWithFewestBusyDevicesThenLowestIndexAndStart() {
        Set<String> busy = new HashSet<>();
        List<String> order = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            MigDevice d = DevicePluginAllocator.chooseMig(gpus, busy, oneG).orElseThrow();
            busy.add(d.uuid());
            order.add(d.toString());
        }
        assertThat(order)
                .containsExactly(
                        "gpu0:1g.6gb@0",
                        "gpu1:1g.6gb@0",
                        "gpu0:1g.6gb@1",
                        "gpu1:1g.6gb@1",
                        "gpu0:1g.6gb@2",
                        "gpu1:1g.6gb@2",
                        "gpu0:1g.6gb@3",
                        "gpu1:1g.6gb@3");
        assertThat(DevicePluginAllocator.chooseMig(gpus, busy, oneG)).isEmpty();
        assertThat(busy).hasSize(8);
    }

    @Test
    void neverHandsOutAProfileTheGpusDoNotHave() {
        MigProfile twoG = GpuModel.A30.profile("2g.12gb").orElseThrow();
        assertThat(DevicePluginAllocator.chooseMig(gpus, Set.of(), twoG)).isEmpty();
        assertThat(DevicePluginAllocator.chooseFullGpu(gpus, Set.of())).isEmpty();
    }
}
