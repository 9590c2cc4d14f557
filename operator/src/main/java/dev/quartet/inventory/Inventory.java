package dev.quartet.inventory;

import dev.quartet.planner.ClusterState;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The planner's input as derived from a snapshot, plus what the actuators need to know about each node:
 * its facts, whether it takes new pods, the nodes that are lost (NotReady), the GPUs whose MIG mode is off, and,
 * for the nodes where those GPUs are not offered to the planner, why ({@code migOffUnused}); and the pods pinned
 * pessimistically on nodes without a Quartet node agent, with why, by pod id ({@code pessimisticPods}).
 */
public record Inventory(
        ClusterState state,
        Map<String, GpuNode> nodes,
        Map<String, NodeReadiness> readiness,
        Map<String, String> notes,
        Set<String> lostNodes,
        Map<String, Set<Integer>> migOff,
        Map<String, String> migOffUnused,
        Map<String, DraNode> draNodes,
        Map<String, String> pessimisticPods) {

    public Inventory {
        pessimisticPods = Map.copyOf(pessimisticPods);
        draNodes = Map.copyOf(draNodes);
        nodes = Map.copyOf(nodes);
        readiness = Map.copyOf(readiness);
        notes = Map.copyOf(notes);
        lostNodes = Set.copyOf(lostNodes);
        migOff = Map.copyOf(migOff);
        migOffUnused = Map.copyOf(migOffUnused);
    }

    /** The GPUs of {@code node} whose MIG mode is off (empty when none, or when Quartet cannot tell which). */
    public Set<Integer> migOff(String node) {
        return migOff.getOrDefault(node, Set.of());
    }

    /**
     * How long until the next node that is not Ready now counts as lost (its replicas are then replaced elsewhere), or
     * empty when no node is on its way there. Nothing else marks that moment (a dead kubelet writes nothing more), so
     * whoever replaces replicas looks again then.
     */
    public Optional<Duration> untilNextNodeLost(Duration lostAfter, Instant now) {
        return nodes.values().stream()
                .filter(n -> !n.ready() && !lostNodes.contains(n.name()) && n.readyChangedAt() != null)
                .map(n -> Duration.between(now, n.readyChangedAt().plus(lostAfter)))
                .map(d -> d.isNegative() ? Duration.ZERO : d)
                .min(Duration::compareTo);
    }

    /** Whether {@code node} is one of NVIDIA's DRA driver, planned and carried out through claims. */
    public boolean isDra(String node) {
        return draNodes.containsKey(node);
    }

    /**
     * The slices the allocated claims of Quartet's replicas on DRA nodes name, by pod id: GPU, profile, start, and
     * the device's name in place of a UUID (the instance has none until the driver prepares it).
     */
    public Map<String, ReplicaSlice> claimedSlices() {
        Map<String, ReplicaSlice> out = new java.util.TreeMap<>();
        for (DraNode n : draNodes.values()) {
            for (DraNode.Held h : n.held()) {
                if (h.claim() != null && h.replica() != null) {
                    out.put(h.replica(), new ReplicaSlice(h.gpu(), h.profile(), h.start(), h.device()));
                }
            }
        }
        return out;
    }

    /**
     * For the status of a deployment with these replica pods: why some of them are pinned pessimistically (nodes
     * without a node agent), one sentence per pod in pod order, at most {@code max} of them and then how many more.
     */
    public List<String> pessimisticNotes(List<Pod> pods, int max) {
        List<String> all = pods.stream()
                .map(PodFacts::id)
                .sorted()
                .map(pessimisticPods::get)
                .filter(s -> s != null)
                .toList();
        if (all.size() <= max) {
            return all;
        }
        List<String> out = new ArrayList<>(all.subList(0, max));
        out.add((all.size() - max) + " more replica(s) pinned pessimistically likewise");
        return out;
    }

    public boolean takesNewPods(String node) {
        return readiness.get(node) == NodeReadiness.READY;
    }

    /**
     * Whether a pod is being deleted and will finish: one on a lost node stays Terminating until the node comes
     * back or is removed, so waiting for it (before the next eviction or rollout step) would wait for ever.
     */
    public boolean finishingTermination(Pod pod) {
        return PodFacts.isTerminating(pod) && !(PodFacts.isBound(pod) && lostNodes.contains(PodFacts.node(pod)));
    }
}
