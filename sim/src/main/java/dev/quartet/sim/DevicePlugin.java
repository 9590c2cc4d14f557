package dev.quartet.sim;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * NVIDIA's device plugin and GPU Feature Discovery of the simulated nodes, as the kubelet sees them: registered
 * (resources allocatable, GFD labels current) or gone (MIG Manager paused them, or the node rebooted). Runs on the
 * simulator's event loop only.
 *
 * <p>When the plugin's pod goes, its gRPC stream ends and the kubelet marks every device of its resources unhealthy
 * (k8s.io/kubernetes pkg/kubelet/cm/devicemanager/manager.go, {@code PluginDisconnected} and
 * {@code markResourceUnhealthy}): {@code GetCapacity} then reports allocatable 0 and the capacity unchanged, until the
 * endpoint's stop grace period ends ({@code endpointStopGracePeriod}, 5 minutes, types.go), when the resources are
 * dropped from the node. A pod needing such a resource fails admission ({@code devicesToAllocate}: "no healthy devices
 * present; cannot allocate unhealthy devices"); running pods keep their devices. GFD's labels stay as GFD last wrote
 * them until it runs again.
 */
final class DevicePlugin {

    private static final Logger LOG = Logger.getLogger(DevicePlugin.class.getName());
    /** pkg/kubelet/cm/devicemanager/types.go, {@code endpointStopGracePeriod}. */
    static final Duration ENDPOINT_STOP_GRACE_PERIOD = Duration.ofMinutes(5);

    private final NodeApi api;
    private final EventLoop loop;

    DevicePlugin(NodeApi api, EventLoop loop) {
        this.api = api;
        this.loop = loop;
    }

    /** The plugin (re)registered and GFD ran: the node advertises what its GPUs hold now. */
    void up(SimulatedNode node) {
        node.devicePluginUp = true;
        if (node.resourceExpiry != null) {
            node.resourceExpiry.cancel(false);
            node.resourceExpiry = null;
        }
        publish(node);
        LOG.info(() -> "node " + node.name + ": device plugin and GFD running again");
    }

    /** What the plugin and GFD publish for the node's GPUs now (also while the plugin stays registered). */
    void publish(SimulatedNode node) {
        Map<String, Integer> resources = GpuFeatureDiscovery.resources(node.model, node.gpus);
        node.registeredResources.clear();
        resources.forEach((k, v) -> {
            if (v != null) {
                node.registeredResources.add(k);
            }
        });
        api.patchResources(node.name, resources);
        api.patchLabels(node.name, GpuFeatureDiscovery.labels(node.model, node.gpus));
    }

    /** The plugin's pod is gone: its resources are unhealthy (allocatable 0) until it is back, or 5 minutes pass. */
    void gone(SimulatedNode node) {
        if (!node.devicePluginUp) {
            return;
        }
        node.devicePluginUp = false;
        Map<String, Integer> zero = new LinkedHashMap<>();
        node.registeredResources.forEach(r -> zero.put(r, 0));
        api.patchAllocatable(node.name, zero);
        node.resourceExpiry = loop.schedule(
                () -> {
                    if (!node.devicePluginUp && !node.forgotten) {
                        Map<String, Integer> removed = new LinkedHashMap<>();
                        node.registeredResources.forEach(r -> removed.put(r, null));
                        api.patchResources(node.name, removed);
                        LOG.info(() -> "node " + node.name + ": device plugin gone for "
                                + ENDPOINT_STOP_GRACE_PERIOD.toMinutes() + " min, the kubelet dropped its resources");
                    }
                },
                ENDPOINT_STOP_GRACE_PERIOD);
        LOG.info(() -> "node " + node.name + ": device plugin gone, " + node.registeredResources + " allocatable 0");
    }

    /**
     * After a reboot: the kubelet knows the plugin's resources from its checkpoint only (manager.go
     * {@code readCheckpoint}: an empty healthy set each, capacity and allocatable 0) until the plugin registers.
     */
    void afterReboot(SimulatedNode node) {
        node.devicePluginUp = false;
        Map<String, Integer> zero = new LinkedHashMap<>();
        node.registeredResources.forEach(r -> zero.put(r, 0));
        api.patchResources(node.name, zero);
    }
}
