package dev.quartet.planner;

import java.util.List;

/** What the cluster's MIG GPUs look like now: every node Quartet may plan for. */
public record ClusterState(List<NodeState> nodes) {

    public ClusterState {
        nodes = List.copyOf(nodes);
    }
}
