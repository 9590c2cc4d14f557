package dev.quartet.node;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.node.NodeObservation.Drain;
import dev.quartet.node.NodeObservation.Eviction;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Plan;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What emptying the GPUs of a node that must be repartitioned takes (MIG Manager wipes them), decided from a
 * snapshot, pure. Only replicas of movable deployments are ever evicted, each only once its deployment's
 * replacements that can start now are Ready, one pod per deployment at a time. Anything else on those GPUs makes the
 * node wait, as does a pod whose slice nobody reported and that may be on them. A MIG mode change resets GPUs and may
 * reboot the node: then every GPU of the node counts.
 */
final class NodeDrain {

    private NodeDrain() {}

    /** What the GPUs {@code gpus} of {@code node} hold; {@code modeChange}: the GPUs whose MIG mode is turned on. */
    static Drain of(
            GpuNode node,
            List<Integer> gpus,
            Set<Integer> modeChange,
            Plan plan,
            Inventory inventory,
            ClusterSnapshot snapshot) {
        String why = modeChange.isEmpty()
                ? ""
                : "turning MIG mode on for GPU(s) " + modeChange + " resets GPUs and may reboot " + node.name()
                        + ", so every pod on it must go first; ";
        List<Pod> unknown = snapshot.pods().stream()
                .filter(p -> node.name().equals(PodFacts.node(p))
                        && !PodFacts.isFinished(p)
                        && PodFacts.usesNvidiaResources(p)
                        && ReplicaSlice.of(p).isEmpty()
                        && mayRunOn(p, node.name(), gpus, inventory))
                .toList();
        if (!unknown.isEmpty()) {
            return new Drain.Blocked(
                    Reasons.REPARTITIONING,
                    why + "cannot tell which GPU pod " + PodFacts.id(unknown.get(0))
                            + " uses; waiting until its slice is known");
        }
        List<Pod> holders = holders(node.name(), gpus, snapshot);
        if (holders.isEmpty()) {
            return new Drain.Clear();
        }
        Map<String, List<Pod>> movable = new TreeMap<>();
        for (Pod pod : holders) {
            if (PodFacts.isTerminating(pod)) {
                continue;
            }
            String deployment = InventoryBuilder.deploymentOf(pod);
            if (deployment == null || !movable(inventory, node.name(), pod)) {
                return new Drain.Blocked(
                        Reasons.BLOCKED_BY_RUNNING_REPLICAS,
                        why + "pod " + PodFacts.id(pod) + " may not be moved and still uses GPU "
                                + ReplicaSlice.of(pod).orElseThrow().gpu() + "; Quartet never evicts it");
            }
            movable.computeIfAbsent(deployment, d -> new ArrayList<>()).add(pod);
        }
        List<Eviction> evict = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Map.Entry<String, List<Pod>> e : movable.entrySet()) {
            String deployment = e.getKey();
            if (evictionUnderWay(deployment, snapshot, inventory)) {
                notes.add("waiting for an evicted replica of " + deployment + " to terminate");
                continue;
            }
            Optional<String> missing = replacementsMissing(deployment, node.name(), gpus, plan, inventory, snapshot);
            if (missing.isPresent()) {
                notes.add(missing.get());
                continue;
            }
            Pod victim = e.getValue().stream()
                    .min(Comparator.comparing(p -> p.getMetadata().getName()))
                    .orElseThrow();
            evict.add(new Eviction(victim, deployment, gpus, false));
        }
        long terminating = holders.stream().filter(PodFacts::isTerminating).count();
        if (terminating > 0) {
            notes.add(terminating + " pod(s) on these GPUs terminating");
        }
        if (!why.isEmpty()) {
            notes.add(0, why.substring(0, why.length() - 2));
        }
        return new Drain.Draining(evict, notes);
    }

    /** Whether pods (terminating ones too) still hold any of {@code gpus}. */
    static boolean held(String node, List<Integer> gpus, ClusterSnapshot snapshot) {
        return !holders(node, gpus, snapshot).isEmpty();
    }

    /**
     * Replicas of {@code node} the plan displaces from GPUs that keep their layout (a higher-priority demand takes
     * their slices), to evict now. Same rules as a drain: movable only, replacements first, one per deployment.
     */
    static List<Eviction> displaced(
            String node, List<Integer> changing, Plan plan, Inventory inventory, ClusterSnapshot snapshot) {
        Map<String, Pod> byId = new TreeMap<>();
        snapshot.pods().forEach(p -> byId.put(PodFacts.id(p), p));
        Set<String> started = new HashSet<>();
        List<Eviction> out = new ArrayList<>();
        for (String replica : plan.moved()) {
            Pod pod = byId.get(replica);
            if (pod == null
                    || PodFacts.isTerminating(pod)
                    || !PodFacts.isBound(pod)
                    || !node.equals(PodFacts.node(pod))) {
                continue;
            }
            Optional<ReplicaSlice> slice = ReplicaSlice.of(pod);
            if (slice.isEmpty() || changing.contains(slice.get().gpu())) {
                continue;
            }
            String deployment = InventoryBuilder.deploymentOf(pod);
            if (deployment == null
                    || !movable(inventory, node, pod)
                    || !started.add(deployment)
                    || evictionUnderWay(deployment, snapshot, inventory)
                    || replacementsMissing(deployment, node, List.of(slice.get().gpu()), plan, inventory, snapshot)
                            .isPresent()) {
                continue;
            }
            out.add(new Eviction(pod, deployment, List.of(slice.get().gpu()), true));
        }
        return out;
    }

    /**
     * Why the deployment's movable replicas must not be evicted yet, if they must not. A replacement planned on a
     * GPU that is itself to be repartitioned cannot start before that repartition, which may wait for this very
     * drain (a turn held by one node at a time) or be part of it: it is not waited for.
     */
    private static Optional<String> replacementsMissing(
            String deployment,
            String node,
            List<Integer> gpus,
            Plan plan,
            Inventory inventory,
            ClusterSnapshot snapshot) {
        Set<String> repartitioned = plan.gpus().stream()
                .filter(GpuPlan::repartition)
                .map(g -> g.node() + "/" + g.index())
                .collect(Collectors.toSet());
        long startable = plan.assignments().stream()
                .filter(a -> a.demand().equals(deployment)
                        && !a.existing()
                        && !repartitioned.contains(a.node() + "/" + a.gpu())
                        && NewPodGate.allows(plan, inventory, a.node(), a.profile()))
                .count();
        if (startable > 0) {
            return Optional.of("waiting for " + startable + " replacement replica(s) of " + deployment + " to start");
        }
        long unready = snapshot.pods().stream()
                .filter(p -> deployment.equals(InventoryBuilder.deploymentOf(p))
                        && PodFacts.isStarting(p)
                        && !onGpus(p, node, gpus))
                .count();
        return unready > 0
                ? Optional.of("waiting for " + unready + " replacement replica(s) of " + deployment + " to be Ready")
                : Optional.empty();
    }

    /**
     * Whether a replica of the deployment is still terminating, one eviction at a time (a pod stuck on a lost node
     * does not count: it would never finish).
     */
    private static boolean evictionUnderWay(String deployment, ClusterSnapshot snapshot, Inventory inventory) {
        return snapshot.pods().stream()
                .anyMatch(
                        p -> deployment.equals(InventoryBuilder.deploymentOf(p)) && inventory.finishingTermination(p));
    }

    private static boolean movable(Inventory inventory, String node, Pod pod) {
        ReplicaSlice slice = ReplicaSlice.of(pod).orElseThrow();
        for (NodeState n : inventory.state().nodes()) {
            if (!n.name().equals(node)) {
                continue;
            }
            for (var g : n.gpus()) {
                if (g.index() != slice.gpu()) {
                    continue;
                }
                for (InstanceState i : g.instances()) {
                    if (i.start() == slice.start() && PodFacts.id(pod).equals(i.replica())) {
                        return i.movable() && i.demand() != null;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Whether a pod whose slice nobody reported may run on one of {@code gpus}: a MIG pod only where the current
     * layout has an instance of its profile; a pod of any other GPU resource (a whole GPU) anywhere.
     */
    static boolean mayRunOn(Pod pod, String node, List<Integer> gpus, Inventory inventory) {
        Optional<String> profile = PodFacts.migProfile(pod);
        if (profile.isEmpty()) {
            return true;
        }
        return inventory.state().nodes().stream()
                .filter(n -> n.name().equals(node))
                .flatMap(n -> n.gpus().stream())
                .filter(g -> gpus.contains(g.index()))
                .anyMatch(g -> g.instances().stream().anyMatch(i -> i.profile().equals(profile.get())));
    }

    private static List<Pod> holders(String node, List<Integer> gpus, ClusterSnapshot snapshot) {
        return snapshot.pods().stream()
                .filter(p -> !PodFacts.isFinished(p) && onGpus(p, node, gpus))
                .sorted(Comparator.comparing(PodFacts::id))
                .toList();
    }

    static boolean onGpus(Pod p, String node, List<Integer> gpus) {
        return node.equals(PodFacts.node(p))
                && ReplicaSlice.of(p).map(s -> gpus.contains(s.gpu())).orElse(false);
    }
}
