package dev.quartet.reconciler;

import dev.quartet.planner.Assignment;
import dev.quartet.planner.Plan;
import dev.quartet.planner.Unsatisfied;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One InferenceDeployment's share of the cluster-wide plan: the running replicas it keeps, the new replicas it
 * gets per node, the replicas it must stop or move, and what is missing.
 */
public record DeploymentPart(
        String deployment,
        List<Assignment> assignments,
        Set<String> keep,
        Map<String, Integer> newByNode,
        Set<String> released,
        Set<String> moved,
        Optional<Unsatisfied> unsatisfied) {

    /** The part of {@code plan} for {@code deployment}, whose replica pods have the ids {@code replicas}. */
    public static DeploymentPart of(Plan plan, String deployment, Set<String> replicas) {
        List<Assignment> mine = plan.assignments().stream()
                .filter(a -> a.demand().equals(deployment))
                .toList();
        Set<String> keep = mine.stream()
                .filter(Assignment::existing)
                .map(Assignment::replica)
                .collect(Collectors.toCollection(TreeSet::new));
        Map<String, Integer> newByNode = new TreeMap<>();
        mine.stream().filter(a -> !a.existing()).forEach(a -> newByNode.merge(a.node(), 1, Integer::sum));
        return new DeploymentPart(
                deployment,
                mine,
                keep,
                newByNode,
                plan.released().stream().filter(replicas::contains).collect(Collectors.toCollection(TreeSet::new)),
                plan.moved().stream().filter(replicas::contains).collect(Collectors.toCollection(TreeSet::new)),
                plan.unsatisfied().stream()
                        .filter(u -> u.demand().equals(deployment))
                        .findFirst());
    }

    /** The profile the plan resolved for this deployment, if it placed any replica. */
    public Optional<String> profile() {
        return assignments.stream().map(Assignment::profile).findFirst();
    }
}
