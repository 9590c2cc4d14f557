package dev.quartet.agent;

import dev.quartet.podresources.UnixSocketGrpc;
import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.ContainerResources;
import dev.quartet.podresources.v1.ListPodResourcesRequest;
import dev.quartet.podresources.v1.ListPodResourcesResponse;
import dev.quartet.podresources.v1.PodResources;
import dev.quartet.podresources.v1.PodResourcesListerGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A kubelet's PodResources v1 {@code List} on a unix socket, answering with the pods it was last given: AgentHarness's
 * kubelet, and through {@link #main} the one hack/images/test-images.sh serves to the agent's image.
 */
public final class PodResourcesDouble implements AutoCloseable {

    private volatile List<PodResources> listed = List.of();
    private final UnixSocketGrpc.Running server;

    public PodResourcesDouble(Path socket) {
        server = UnixSocketGrpc.serve(socket, new PodResourcesListerGrpc.PodResourcesListerImplBase() {
            @Override
            public void list(ListPodResourcesRequest request, StreamObserver<ListPodResourcesResponse> response) {
                response.onNext(ListPodResourcesResponse.newBuilder()
                        .addAllPodResources(listed)
                        .build());
                response.onCompleted();
            }
        });
    }

    /** What {@code List} answers from now on. */
    public void list(List<PodResources> pods) {
        listed = List.copyOf(pods);
    }

    /** A pod whose one container holds one device, as NVIDIA's device plugin reports a MIG device (its UUID). */
    public static PodResources pod(String namespace, String name, String container, String resource, String deviceId) {
        return PodResources.newBuilder()
                .setNamespace(namespace)
                .setName(name)
                .addContainers(ContainerResources.newBuilder()
                        .setName(container)
                        .addDevices(ContainerDevices.newBuilder()
                                .setResourceName(resource)
                                .addDeviceIds(deviceId)))
                .build();
    }

    @Override
    public void close() {
        server.close();
    }

    /**
     * {@code PodResourcesDouble SOCKET [NAMESPACE/POD/CONTAINER/RESOURCE/DEVICE_ID...]}: serves those pods on SOCKET
     * until the process is stopped.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1) {
            throw new IllegalArgumentException(
                    "usage: PodResourcesDouble SOCKET [NAMESPACE/POD/CONTAINER/RESOURCE/DEVICE_ID...]");
        }
        List<PodResources> pods = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            // the resource has a slash of its own (nvidia.com/mig-1g.6gb): the device id is after the last one
            String[] f = args[i].split("/", 4);
            int device = f.length == 4 ? f[3].lastIndexOf('/') : -1;
            if (device < 1) {
                throw new IllegalArgumentException("not NAMESPACE/POD/CONTAINER/RESOURCE/DEVICE_ID: " + args[i]);
            }
            pods.add(pod(f[0], f[1], f[2], f[3].substring(0, device), f[3].substring(device + 1)));
        }
        PodResourcesDouble kubelet = new PodResourcesDouble(Path.of(args[0]));
        kubelet.list(pods);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kubelet.close();
            stopped.countDown();
        }));
        System.out.println("serving PodResources List on " + args[0] + " with " + pods.size() + " pod(s)");
        stopped.await();
    }
}
