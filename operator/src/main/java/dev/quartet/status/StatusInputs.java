package dev.quartet.status;

import dev.quartet.planner.Unsatisfied;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the status of one InferenceDeployment is derived from, gathered by its reconcile.
 *
 * @param problems     spec validation messages (non-empty: InvalidSpec, nothing else was done)
 * @param pods         the deployment's replica pods, terminating ones included
 * @param currentHash  the template hash new replicas get
 * @param profile      the profile chosen for the replicas, if known
 * @param unsatisfied  the planner's shortfall for this deployment
 * @param nodes        progress of the nodes this deployment waits on or is moved from
 * @param waitingNodes nodes where new replicas wait for the node to take pods
 * @param rollout      how the rollout of a changed spec stands ({@link RolloutProgress#NONE}: none)
 * @param changed      this reconcile created or deleted pods
 * @param wouldFit     for a shortfall, each change that planning again found would fit more replicas, in words
 * @param capacityNote when replicas are short: capacity the cluster has but does not offer (GPUs with MIG mode off
 *                     on nodes the deployment may use, and why), said with the shortfall
 */
public record StatusInputs(
        List<String> problems,
        List<Pod> pods,
        String currentHash,
        Optional<String> profile,
        Optional<Unsatisfied> unsatisfied,
        Map<String, NodeProgress> nodes,
        Set<String> waitingNodes,
        RolloutProgress rollout,
        boolean changed,
        String endpoint,
        List<String> wouldFit,
        Optional<String> capacityNote) {

    public StatusInputs {
        wouldFit = List.copyOf(wouldFit);
    }

    /** Inputs without advice for a shortfall (none, or none computed). */
    public StatusInputs(
            List<String> problems,
            List<Pod> pods,
            String currentHash,
            Optional<String> profile,
            Optional<Unsatisfied> unsatisfied,
            Map<String, NodeProgress> nodes,
            Set<String> waitingNodes,
            RolloutProgress rollout,
            boolean changed,
            String endpoint) {
        this(
                problems,
                pods,
                currentHash,
                profile,
                unsatisfied,
                nodes,
                waitingNodes,
                rollout,
                changed,
                endpoint,
                List.of(),
                Optional.empty());
    }
}
