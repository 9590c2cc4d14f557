package dev.quartet.agent.kubelet;

import java.util.List;

/**
 * The MIG devices the kubelet assigned to one pod's containers.
 *
 * @param namespace the pod's namespace
 * @param name the pod's name
 * @param devices each device: the extended resource and the device plugin's id for it
 */
public record PodDevices(String namespace, String name, List<Device> devices) {

    public PodDevices {
        devices = List.copyOf(devices);
    }

    /**
     * One device of a pod.
     *
     * @param resourceName e.g. {@code nvidia.com/mig-1g.6gb}
     * @param uuid the MIG device's UUID (NVIDIA's device plugin uses it as the device id)
     */
    public record Device(String resourceName, String uuid) {}
}
