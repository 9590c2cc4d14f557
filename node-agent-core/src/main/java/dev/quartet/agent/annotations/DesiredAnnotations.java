package dev.quartet.agent.annotations;

import java.util.List;
import java.util.Map;

/**
 * What one pass of the agent wants on the cluster.
 *
 * @param pods the {@code quartet.dev/mig-device} value of every pod that holds MIG devices NVML knows
 * @param node the node's annotations ({@code quartet.dev/mig-layout}, {@code quartet.dev/mig-profiles})
 * @param unknownDevices MIG device UUIDs the kubelet assigned that NVML does not list, with their pod
 */
public record DesiredAnnotations(Map<PodKey, String> pods, Map<String, String> node, List<String> unknownDevices) {

    public DesiredAnnotations {
        pods = Map.copyOf(pods);
        node = Map.copyOf(node);
        unknownDevices = List.copyOf(unknownDevices);
    }
}
