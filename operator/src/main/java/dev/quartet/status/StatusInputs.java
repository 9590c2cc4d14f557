package dev.quartet.status;

import dev.quartet.inventory.ReplicaSlice;
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
 * @param autoscaling  with spec.autoscaling: what it decided this reconcile
 * @param claimedSlices the slices allocated ResourceClaims give replicas on DRA nodes, by pod id
 * @param pessimisticPins why replicas are pinned pessimistically on nodes without a Quartet node agent, one sentence
 *                     each (said with the Degraded condition)
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
        Optional<String> capacityNote,
        Optional<AutoscalingReport> autoscaling,
        Map<String, ReplicaSlice> claimedSlices,
        List<String> pessimisticPins) {

    public StatusInputs {
        wouldFit = List.copyOf(wouldFit);
        claimedSlices = Map.copyOf(claimedSlices);
        pessimisticPins = List.copyOf(pessimisticPins);
    }

    /** Inputs with the slices claims give replicas on DRA nodes, and no replica pinned pessimistically. */
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
            String endpoint,
            List<String> wouldFit,
            Optional<String> capacityNote,
            Optional<AutoscalingReport> autoscaling,
            Map<String, ReplicaSlice> claimedSlices) {
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
                wouldFit,
                capacityNote,
                autoscaling,
                claimedSlices,
                List.of());
    }

    /** Inputs of a deployment with or without autoscaling, no replica of which runs on a node of NVIDIA's DRA driver. */
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
            String endpoint,
            List<String> wouldFit,
            Optional<String> capacityNote,
            Optional<AutoscalingReport> autoscaling) {
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
                wouldFit,
                capacityNote,
                autoscaling,
                Map.of());
    }

    /** Inputs of a deployment without autoscaling. */
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
            String endpoint,
            List<String> wouldFit,
            Optional<String> capacityNote) {
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
                wouldFit,
                capacityNote,
                Optional.empty());
    }

    /**
     * The same inputs with the slices the allocated ResourceClaims of replicas on DRA nodes name, by pod id (the
     * claim, not a node agent, says which device a replica got there).
     */
    public StatusInputs withClaimedSlices(Map<String, ReplicaSlice> slices) {
        return new StatusInputs(
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
                wouldFit,
                capacityNote,
                autoscaling,
                slices,
                pessimisticPins);
    }

    /**
     * The same inputs with why replicas are pinned pessimistically on nodes without a node agent (docs/contracts.md),
     * one sentence each.
     */
    public StatusInputs withPessimisticPins(List<String> pins) {
        return new StatusInputs(
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
                wouldFit,
                capacityNote,
                autoscaling,
                claimedSlices,
                pins);
    }

    /** Whether a shortfall is autoscaling meeting the cluster's limit: the slices give at least minReplicas. */
    public boolean shortfallWithinAutoscaling() {
        return autoscaling.isPresent()
                && unsatisfied.isPresent()
                && autoscaling.get().desired() - unsatisfied.get().missing()
                        >= autoscaling.get().minReplicas();
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
                Optional.empty(),
                Optional.empty());
    }
}
