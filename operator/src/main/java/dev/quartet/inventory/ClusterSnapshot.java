package dev.quartet.inventory;

import dev.quartet.nvidia.MigPartedConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/** Everything one planning pass reads from the cluster, taken from the informer caches at one moment. */
public record ClusterSnapshot(List<Node> nodes, List<Pod> pods, MigPartedConfig migConfig, String migConfigError) {

    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        pods = List.copyOf(pods);
    }

    /**
     * The snapshot of these nodes and pods, with the mig-parted file under {@code key} of MIG Manager's ConfigMap
     * {@code cm} (null when the ConfigMap or the key is missing; an unreadable file is {@code migConfigError}). No
     * other key is read in its place: the operator reads the configured key, the one {@code MigConfigStore} writes,
     * since layouts planned from a file Quartet's writes never change would not match what MIG Manager applies.
     */
    public static ClusterSnapshot of(List<Node> nodes, List<Pod> pods, ConfigMap cm, String key) {
        String text = cm == null || cm.getData() == null ? null : cm.getData().get(key);
        if (text == null) {
            return new ClusterSnapshot(nodes, pods, null, null);
        }
        try {
            return new ClusterSnapshot(nodes, pods, MigPartedConfig.parse(text), null);
        } catch (IllegalArgumentException e) {
            return new ClusterSnapshot(nodes, pods, null, e.getMessage());
        }
    }
}
