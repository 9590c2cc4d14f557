package dev.quartet.agent.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.ContainerResources;
import dev.quartet.podresources.v1.ListPodResourcesResponse;
import dev.quartet.podresources.v1.PodResources;
import org.junit.jupiter.api.Test;

/** Which devices of a List answer are MIG devices, and their UUIDs. */
class PodResourcesReaderTest {

    @Test
    void keepsOnlyMigResourcesAndStripsTheReplicaSuffix() {
        ListPodResourcesResponse response = ListPodResourcesResponse.newBuilder()
                .addPodResources(PodResources.newBuilder()
                        .setNamespace("ml")
                        .setName("a")
                        .addContainers(ContainerResources.newBuilder()
                                .setName("c")
                                .addDevices(devices("nvidia.com/gpu", "GPU-1"))
                                .addDevices(devices("nvidia.com/mig-1g.6gb", "MIG-aaa::2"))
                                .addDevices(devices("example.com/fpga", "fpga0"))))
                .addPodResources(PodResources.newBuilder()
                        .setNamespace("ml")
                        .setName("cpu-only")
                        .addContainers(ContainerResources.newBuilder().setName("c")))
                .addPodResources(PodResources.newBuilder()
                        .setNamespace("ml")
                        .setName("b")
                        .addContainers(ContainerResources.newBuilder()
                                .setName("one")
                                .addDevices(devices("nvidia.com/mig-2g.12gb.me", "MIG-bbb")))
                        .addContainers(ContainerResources.newBuilder()
                                .setName("two")
                                .addDevices(devices("nvidia.com/mig-1g.6gb", "MIG-ccc"))))
                .build();

        assertThat(PodResourcesReader.migDevices(response))
                .containsExactly(
                        new PodDevices(
                                "ml",
                                "a",
                                java.util.List.of(new PodDevices.Device("nvidia.com/mig-1g.6gb", "MIG-aaa"))),
                        new PodDevices(
                                "ml",
                                "b",
                                java.util.List.of(
                                        new PodDevices.Device("nvidia.com/mig-2g.12gb.me", "MIG-bbb"),
                                        new PodDevices.Device("nvidia.com/mig-1g.6gb", "MIG-ccc"))));
    }

    private static ContainerDevices devices(String resource, String id) {
        return ContainerDevices.newBuilder()
                .setResourceName(resource)
                .addDeviceIds(id)
                .build();
    }
}
