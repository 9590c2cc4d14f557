package dev.quartet.agent.kubelet;

import dev.quartet.agent.core.PodDevicesSource;
import dev.quartet.podresources.UnixSocketGrpc;
import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.ContainerResources;
import dev.quartet.podresources.v1.ListPodResourcesRequest;
import dev.quartet.podresources.v1.ListPodResourcesResponse;
import dev.quartet.podresources.v1.PodResources;
import dev.quartet.podresources.v1.PodResourcesListerGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's PodResources v1 {@code List}, over its unix socket: which MIG devices each pod holds. {@code List} is
 * GA since Kubernetes 1.28 and in every release Quartet supports ({@code Get} needs 1.34's beta gate).
 */
public final class PodResourcesReader implements PodDevicesSource, AutoCloseable {

    /** The device plugin's MIG resources under the {@code mixed} strategy: {@code nvidia.com/mig-<profile>}. */
    public static final String MIG_RESOURCE_PREFIX = "nvidia.com/mig-";

    private final UnixSocketGrpc.Client client;
    private final PodResourcesListerGrpc.PodResourcesListerBlockingStub stub;
    private final Duration timeout;

    public PodResourcesReader(Path socket, Duration timeout) {
        this(UnixSocketGrpc.connect(socket), timeout);
    }

    /** A reader on {@code loop}, an epoll event loop group the caller owns (the simulator shares one between nodes). */
    public PodResourcesReader(Path socket, Duration timeout, io.netty.channel.EventLoopGroup loop) {
        this(UnixSocketGrpc.connect(socket, loop), timeout);
    }

    private PodResourcesReader(UnixSocketGrpc.Client client, Duration timeout) {
        this.client = client;
        this.stub = PodResourcesListerGrpc.newBlockingStub(client.channel());
        this.timeout = timeout;
    }

    /** Every pod the kubelet reports with at least one MIG device. */
    @Override
    public List<PodDevices> list() {
        ListPodResourcesResponse response = stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .list(ListPodResourcesRequest.getDefaultInstance());
        return migDevices(response);
    }

    /** The pods of a List answer that hold MIG devices, with each device's UUID. */
    public static List<PodDevices> migDevices(ListPodResourcesResponse response) {
        List<PodDevices> pods = new ArrayList<>();
        for (PodResources pod : response.getPodResourcesList()) {
            List<PodDevices.Device> devices = new ArrayList<>();
            for (ContainerResources container : pod.getContainersList()) {
                for (ContainerDevices d : container.getDevicesList()) {
                    if (!d.getResourceName().startsWith(MIG_RESOURCE_PREFIX)) {
                        continue;
                    }
                    for (String id : d.getDeviceIdsList()) {
                        devices.add(new PodDevices.Device(d.getResourceName(), uuidOf(id)));
                    }
                }
            }
            if (!devices.isEmpty()) {
                pods.add(new PodDevices(pod.getNamespace(), pod.getName(), devices));
            }
        }
        return pods;
    }

    /**
     * The UUID in a device plugin id: the id itself, less the {@code ::<n>} replica suffix the plugin adds under
     * time-slicing or MPS (as dcgm-exporter strips it).
     */
    static String uuidOf(String deviceId) {
        int replica = deviceId.indexOf("::");
        return replica < 0 ? deviceId : deviceId.substring(0, replica);
    }

    @Override
    public void close() {
        client.close();
    }
}
