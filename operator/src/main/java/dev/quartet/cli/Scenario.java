package dev.quartet.cli;

import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import java.util.List;

/** A planning scenario as read from YAML: the cluster as it is and what the demands ask for. */
public record Scenario(ClusterState state, List<Demand> demands) {}
