package dev.quartet.inventory;

import dev.quartet.node.MigPartedConfig;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/** Everything one planning pass reads from the cluster, taken from the informer caches at one moment. */
public record ClusterSnapshot(List<Node> nodes, List<Pod> pods, MigPartedConfig migConfig, String migConfigError) {

    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        pods = List.copyOf(pods);
    }
}
