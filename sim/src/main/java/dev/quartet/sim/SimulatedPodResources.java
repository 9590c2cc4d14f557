package dev.quartet.sim;

import dev.quartet.podresources.UnixSocketGrpc;
import dev.quartet.podresources.v1.AllocatableResourcesRequest;
import dev.quartet.podresources.v1.AllocatableResourcesResponse;
import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.ContainerResources;
import dev.quartet.podresources.v1.GetPodResourcesRequest;
import dev.quartet.podresources.v1.GetPodResourcesResponse;
import dev.quartet.podresources.v1.ListPodResourcesRequest;
import dev.quartet.podresources.v1.ListPodResourcesResponse;
import dev.quartet.podresources.v1.PodResources;
import dev.quartet.podresources.v1.PodResourcesListerGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One simulated node's kubelet PodResources v1 API on a unix socket, as the kubelet serves it: {@code List} and
 * {@code Get} report the devices the simulated kubelet granted each admitted pod (a MIG device by its UUID, which is
 * the device id NVIDIA's device plugin gives the kubelet), {@code GetAllocatableResources} every device the node's
 * device plugin advertises. The simulator's event loop publishes each change with {@link #update}; the gRPC threads
 * read only that immutable snapshot.
 */
public final class SimulatedPodResources extends PodResourcesListerGrpc.PodResourcesListerImplBase
        implements AutoCloseable {

    /**
     * The devices one pod holds.
     *
     * @param container the container the kubelet reports them under
     * @param devices device id (a MIG UUID) to its extended resource, e.g. {@code nvidia.com/mig-1g.6gb}
     */
    public record PodDevices(String namespace, String name, String container, Map<String, String> devices) {

        public PodDevices {
            devices = Map.copyOf(new LinkedHashMap<>(devices));
        }
    }

    private record Snapshot(List<PodResources> pods, List<ContainerDevices> allocatable) {}

    private volatile Snapshot snapshot = new Snapshot(List.of(), List.of());
    private UnixSocketGrpc.Running server;

    /** Starts serving on {@code socket} (a path shorter than the 107 bytes a unix socket name may have). */
    public static SimulatedPodResources serve(Path socket) {
        return serve(socket, null, null);
    }

    /**
     * Starts serving on {@code socket} with epoll event loop groups the caller owns and shares between nodes (both
     * null: the server's own).
     */
    public static SimulatedPodResources serve(
            Path socket, io.netty.channel.EventLoopGroup boss, io.netty.channel.EventLoopGroup workers) {
        if (socket.toAbsolutePath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
            throw new IllegalArgumentException(
                    "unix socket path too long (over 107 bytes): " + socket.toAbsolutePath());
        }
        SimulatedPodResources service = new SimulatedPodResources();
        service.server = boss == null
                ? UnixSocketGrpc.serve(socket, service)
                : UnixSocketGrpc.serve(socket, service, boss, workers);
        return service;
    }

    /** Publishes the node's pods with their devices, and the devices its device plugin advertises. */
    public void update(List<PodDevices> pods, List<GpuHardware> gpus) {
        List<PodResources> listed =
                pods.stream().map(SimulatedPodResources::podResources).toList();
        Map<String, ContainerDevices.Builder> byResource = new LinkedHashMap<>();
        for (GpuHardware gpu : gpus) {
            if (!gpu.migEnabled()) {
                byResource
                        .computeIfAbsent(
                                "nvidia.com/gpu",
                                r -> ContainerDevices.newBuilder().setResourceName(r))
                        .addDeviceIds(gpu.uuid());
                continue;
            }
            for (MigDevice d : gpu.devices()) {
                byResource
                        .computeIfAbsent(
                                d.profile().resourceName(),
                                r -> ContainerDevices.newBuilder().setResourceName(r))
                        .addDeviceIds(d.uuid());
            }
        }
        snapshot = new Snapshot(
                listed,
                byResource.values().stream()
                        .map(ContainerDevices.Builder::build)
                        .toList());
    }

    private static PodResources podResources(PodDevices pod) {
        Map<String, ContainerDevices.Builder> byResource = new LinkedHashMap<>();
        pod.devices()
                .forEach((id, resource) -> byResource
                        .computeIfAbsent(
                                resource, r -> ContainerDevices.newBuilder().setResourceName(r))
                        .addDeviceIds(id));
        ContainerResources.Builder container = ContainerResources.newBuilder().setName(pod.container());
        byResource.values().forEach(container::addDevices);
        return PodResources.newBuilder()
                .setNamespace(pod.namespace())
                .setName(pod.name())
                .addContainers(container)
                .build();
    }

    @Override
    public void list(ListPodResourcesRequest request, StreamObserver<ListPodResourcesResponse> response) {
        response.onNext(ListPodResourcesResponse.newBuilder()
                .addAllPodResources(snapshot.pods())
                .build());
        response.onCompleted();
    }

    @Override
    public void get(GetPodResourcesRequest request, StreamObserver<GetPodResourcesResponse> response) {
        snapshot.pods().stream()
                .filter(p -> p.getNamespace().equals(request.getPodNamespace())
                        && p.getName().equals(request.getPodName()))
                .findFirst()
                .ifPresentOrElse(
                        p -> {
                            response.onNext(GetPodResourcesResponse.newBuilder()
                                    .setPodResources(p)
                                    .build());
                            response.onCompleted();
                        },
                        () -> response.onError(Status.NOT_FOUND
                                .withDescription(
                                        "pod not found: " + request.getPodNamespace() + "/" + request.getPodName())
                                .asRuntimeException()));
    }

    @Override
    public void getAllocatableResources(
            AllocatableResourcesRequest request, StreamObserver<AllocatableResourcesResponse> response) {
        response.onNext(AllocatableResourcesResponse.newBuilder()
                .addAllDevices(snapshot.allocatable())
                .build());
        response.onCompleted();
    }

    @Override
    public String toString() {
        return server == null ? "(not serving)" : server.socket().toString();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
