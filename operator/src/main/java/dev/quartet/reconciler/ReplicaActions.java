package dev.quartet.reconciler;

import dev.quartet.status.RolloutProgress;
import java.util.List;
import java.util.Map;

/**
 * What one reconcile did to a deployment's replica pods, for its status: pods created and deleted (with why),
 * nodes where new replicas wait for a repartition, and where a rollout stands.
 */
public record ReplicaActions(
        List<String> created, Map<String, String> deleted, List<String> waitingOnNodes, RolloutProgress rollout) {

    public ReplicaActions {
        created = List.copyOf(created);
        deleted = Map.copyOf(deleted);
        waitingOnNodes = List.copyOf(waitingOnNodes);
    }

    public boolean changedSomething() {
        return !created.isEmpty() || !deleted.isEmpty();
    }
}
