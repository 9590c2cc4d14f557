package dev.quartet.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.agent.annotations.AnnotationRendering;
import dev.quartet.agent.annotations.DesiredAnnotations;
import dev.quartet.agent.annotations.PodKey;
import dev.quartet.agent.kubelet.PodResourcesReader;
import dev.quartet.agent.nvml.GpuFacts;
import dev.quartet.agent.nvml.InstanceFacts;
import dev.quartet.agent.nvml.NvmlException;
import dev.quartet.agent.nvml.NvmlReader;
import dev.quartet.agent.nvml.ProfileFacts;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.podresources.UnixSocketGrpc;
import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.ContainerResources;
import dev.quartet.podresources.v1.ListPodResourcesRequest;
import dev.quartet.podresources.v1.ListPodResourcesResponse;
import dev.quartet.podresources.v1.PodResources;
import dev.quartet.podresources.v1.PodResourcesListerGrpc;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's real NVML bindings (JNA) against the fake libnvidia-ml.so.1 the build compiles from C, and its real
 * PodResources client against a PodResources server on a unix socket: the pod annotation and the node layout come out
 * of the same code that runs on a real node. The fake reads the node from the file QUARTET_FAKE_NVML_STATE names (the
 * build sets it for the tests).
 */
class FakeNodeTest {

    static final String LIBRARY = System.getProperty("quartet.fake-nvml.library");
    static final Path STATE = Path.of(System.getenv("QUARTET_FAKE_NVML_STATE"));

    /** Two A30s: GPU 0 at 1g.6gb@0 (busy), 1g.6gb@1, 2g.12gb@2; GPU 1 with MIG off, on after a reset. */
    static final String TWO_A30 = """
            # two A30s
            gpu 0 GPU-a30-0 24576 1 1 NVIDIA A30
            profile 0 0 14 1 4 14 5952 0:1,1:1,2:1,3:1
            profile 0 1 5 2 2 28 11968 0:2,2:2
            profile 0 3 0 4 1 56 24128 0:4
            profile 0 7 21 1 1 14 5952 0:1,1:1,2:1,3:1
            profile 0 8 6 2 1 28 11968 0:2,2:2
            gi 0 1 5 2 2
            gi 0 3 14 0 1
            gi 0 4 14 1 1
            mig 0 0 1 0 MIG-0c -
            mig 0 1 3 0 MIG-0a 4242
            mig 0 3 4 0 MIG-0b -
            gpu 1 GPU-a30-1 24576 0 1 NVIDIA A30
            profile 1 0 14 1 4 14 5952 0:1,1:1,2:1,3:1
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void node() throws IOException {
        assertThat(LIBRARY).as("the build passes the fake NVML's path").isNotNull();
        writeState(TWO_A30);
    }

    static void writeState(String state) throws IOException {
        Files.createDirectories(STATE.getParent());
        Path tmp = STATE.resolveSibling("state.tmp");
        Files.writeString(tmp, state);
        Files.move(tmp, STATE, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void nvmlReportsEveryGpuInstanceWithPlacementDeviceAndProcesses() {
        try (NvmlReader nvml = NvmlReader.open(LIBRARY)) {
            List<GpuFacts> gpus = nvml.read();

            assertThat(gpus).hasSize(2);
            GpuFacts gpu0 = gpus.get(0);
            assertThat(gpu0.uuid()).isEqualTo("GPU-a30-0");
            assertThat(gpu0.product()).isEqualTo("NVIDIA A30");
            assertThat(gpu0.memoryMiB()).isEqualTo(24576);
            assertThat(gpu0.migEnabled()).isTrue();
            assertThat(gpu0.instances())
                    .containsExactly(
                            new InstanceFacts(3, 14, "1g.6gb", 0, 1, "MIG-0a", 1),
                            new InstanceFacts(4, 14, "1g.6gb", 1, 1, "MIG-0b", 0),
                            new InstanceFacts(1, 5, "2g.12gb", 2, 2, "MIG-0c", 0));
            assertThat(gpu0.profiles())
                    .extracting(ProfileFacts::name)
                    .containsExactly("1g.6gb", "2g.12gb", "4g.24gb", "1g.6gb+me", "2g.12gb+me");
            assertThat(gpu0.profiles().get(1).starts()).containsExactly(0, 2);
            assertThat(gpu0.profiles().get(1).memorySlices()).isEqualTo(2);

            GpuFacts gpu1 = gpus.get(1);
            assertThat(gpu1.migEnabled()).isFalse();
            assertThat(gpu1.migPendingEnabled()).isTrue();
            assertThat(gpu1.instances()).isEmpty();
            assertThat(gpu1.profiles())
                    .singleElement()
                    .satisfies(p -> assertThat(p.starts())
                            .as("no placements while MIG is off")
                            .isEmpty());
        }
    }

    @Test
    void aReplacedStateFileIsSeenByTheNextPass() throws IOException {
        try (NvmlReader nvml = NvmlReader.open(LIBRARY)) {
            assertThat(nvml.read().get(0).instances()).hasSize(3);

            writeState(TWO_A30.replace("gpu 1 GPU-a30-1 24576 0 1", "gpu 1 GPU-a30-1 24576 1 1")
                    + "gi 1 0 14 3 1\nmig 1 0 0 0 MIG-1d 77,78\n");

            List<GpuFacts> again = nvml.read();
            assertThat(again.get(1).migEnabled()).isTrue();
            assertThat(again.get(1).instances()).containsExactly(new InstanceFacts(0, 14, "1g.6gb", 3, 1, "MIG-1d", 2));
        }
    }

    @Test
    void aBrokenStateFileIsAnNvmlError() throws IOException {
        writeState("gpu 0 GPU-x\n");
        assertThatThrownBy(() -> NvmlReader.open(LIBRARY))
                .isInstanceOf(NvmlException.class)
                .hasMessageContaining("nvmlInit_v2")
                .hasMessageContaining("Driver Not Loaded");
    }

    @Test
    void podResourcesAndNvmlJoinIntoThePodAnnotation() {
        Path socket = dir.resolve("pod-resources/kubelet.sock");
        var kubelet = new PodResourcesListerGrpc.PodResourcesListerImplBase() {
            @Override
            public void list(ListPodResourcesRequest request, StreamObserver<ListPodResourcesResponse> response) {
                response.onNext(ListPodResourcesResponse.newBuilder()
                        .addPodResources(pod("ml", "resnet-0", "nvidia.com/mig-2g.12gb", "MIG-0c"))
                        .addPodResources(pod("other", "foreign", "nvidia.com/mig-1g.6gb", "MIG-0a"))
                        .addPodResources(pod("ml", "cpu", "example.com/none", "x"))
                        .build());
                response.onCompleted();
            }
        };
        try (var server = UnixSocketGrpc.serve(socket, kubelet);
                var podResources = new PodResourcesReader(socket, Duration.ofSeconds(10));
                var nvml = NvmlReader.open(LIBRARY)) {
            DesiredAnnotations desired = AnnotationRendering.desired(podResources.list(), nvml.read());

            assertThat(desired.pods())
                    .containsOnly(
                            Map.entry(
                                    new PodKey("ml", "resnet-0"),
                                    "{\"gpu\":0,\"profile\":\"2g.12gb\",\"start\":2,\"uuid\":\"MIG-0c\"}"),
                            Map.entry(
                                    new PodKey("other", "foreign"),
                                    "{\"gpu\":0,\"profile\":\"1g.6gb\",\"start\":0,\"uuid\":\"MIG-0a\"}"));
            assertThat(desired.node().get(NodeAgentReport.MIG_LAYOUT)).contains("\"uuid\":\"GPU-a30-1\"");
        }
    }

    static PodResources pod(String namespace, String name, String resource, String id) {
        return PodResources.newBuilder()
                .setNamespace(namespace)
                .setName(name)
                .addContainers(ContainerResources.newBuilder()
                        .setName("main")
                        .addDevices(ContainerDevices.newBuilder()
                                .setResourceName(resource)
                                .addDeviceIds(id)))
                .build();
    }
}
