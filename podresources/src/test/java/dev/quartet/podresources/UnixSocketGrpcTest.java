package dev.quartet.podresources;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.ContainerResources;
import dev.quartet.podresources.v1.ListPodResourcesRequest;
import dev.quartet.podresources.v1.ListPodResourcesResponse;
import dev.quartet.podresources.v1.PodResources;
import dev.quartet.podresources.v1.PodResourcesListerGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelet's List call over a unix socket, both ends generated from the one api.proto. */
class UnixSocketGrpcTest {

    @TempDir
    Path dir;

    @Test
    void listCrossesTheSocketAndTheServerRemovesItOnClose() {
        Path socket = dir.resolve("pod-resources/kubelet.sock");
        PodResources pod = PodResources.newBuilder()
                .setNamespace("default")
                .setName("resnet-0")
                .addContainers(ContainerResources.newBuilder()
                        .setName("worker")
                        .addDevices(ContainerDevices.newBuilder()
                                .setResourceName("nvidia.com/mig-1g.6gb")
                                .addDeviceIds("MIG-6f0b9a3e-1111-5c3d-8f1b-0123456789ab")))
                .build();
        var service = new PodResourcesListerGrpc.PodResourcesListerImplBase() {
            @Override
            public void list(ListPodResourcesRequest request, StreamObserver<ListPodResourcesResponse> response) {
                response.onNext(ListPodResourcesResponse.newBuilder()
                        .addPodResources(pod)
                        .build());
                response.onCompleted();
            }
        };
        try (var server = UnixSocketGrpc.serve(socket, service);
                var client = UnixSocketGrpc.connect(socket)) {
            ListPodResourcesResponse got = PodResourcesListerGrpc.newBlockingStub(client.channel())
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .list(ListPodResourcesRequest.getDefaultInstance());
            assertThat(got.getPodResourcesList()).containsExactly(pod);
            assertThat(Files.exists(socket)).isTrue();
        }
        assertThat(Files.exists(socket)).isFalse();
    }
}
