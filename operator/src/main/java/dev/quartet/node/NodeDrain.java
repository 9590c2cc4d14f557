package dev.quartet.node;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Plan;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.NodeProgress.Phase;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Pod;
import io.quarkus.logging.Log;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Empties the GPUs of a node that must be repartitioned (MIG Manager wipes them). Only replicas of movable
 * deployments are ever evicted, each only once its deployment's replacements that can start now are Ready,
 * one pod per deployment at a time, through the Eviction API. Anything else on those GPUs makes it wait, as does a
 * pod whose slice nobody reported and that may be on them.
 */
final class NodeDrain {

    private final ReplicaEvictor evictor;
    private final EventRecorder events;

    NodeDrain(ReplicaEvictor evictor, EventRecorder events) {
        this.evictor = evictor;
        this.events = events;
    }

    /** Whether a drain of these GPUs is already under way (a pod on them is terminating). */
    boolean started(String node, List<GpuPlan> gpus, ClusterSnapshot snapshot) {
        List<Integer> indices = gpus.stream().map(GpuPlan::index).toList();
        return holders(node, indices, snapshot).stream().anyMatch(PodFacts::isTerminating);
    }

    /** One step of the drain; null when the GPUs are empty and may be repartitioned now. */
    NodeProgress step(GpuNode node, List<Integer> gpus, Plan plan, Inventory inventory, ClusterSnapshot snapshot) {
        List<Pod> unknown = snapshot.pods().stream()
                .filter(p -> node.name().equals(PodFacts.node(p))
                        && !PodFacts.isFinished(p)
                        && PodFacts.usesNvidiaResources(p)
                        && ReplicaSlice.of(p).isEmpty()
                        && mayRunOn(p, node.name(), gpus, inventory))
                .toList();
        if (!unknown.isEmpty()) {
            return waiting(
                    node,
                    gpus,
                    Reasons.REPARTITIONING,
                    "cannot tell which GPU pod " + PodFacts.id(unknown.get(0))
                            + " uses; waiting until its slice is known");
        }
        List<Pod> holders = holders(node.name(), gpus, snapshot);
        if (holders.isEmpty()) {
            return null;
        }
        List<Pod> terminating = holders.stream().filter(PodFacts::isTerminating).toList();
        Map<String, List<Pod>> movable = new TreeMap<>();
        for (Pod pod : holders) {
            if (PodFacts.isTerminating(pod)) {
                continue;
            }
            String deployment = InventoryBuilder.deploymentOf(pod);
            if (deployment == null || !movable(inventory, node.name(), pod)) {
                return waiting(
                        node,
                        gpus,
                        Reasons.BLOCKED_BY_RUNNING_REPLICAS,
                        "pod " + PodFacts.id(pod)
                                + " may not be moved and still uses GPU "
                                + ReplicaSlice.of(pod).orElseThrow().gpu()
                                + "; Quartet never evicts it");
            }
            movable.computeIfAbsent(deployment, d -> new ArrayList<>()).add(pod);
        }
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
            ReplicaEvictor.Outcome outcome = evictor.evict(victim);
            if (!outcome.evicted()) {
                events.warning(
                        nodeRef(snapshot, node.name()), Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET, outcome.refusal());
                return new NodeProgress(
                        node.name(),
                        Phase.DRAIN_BLOCKED,
                        Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET,
                        "cannot repartition GPU(s) " + gpus + " on " + node.name() + ": " + outcome.refusal()
                                + " (raise spec.maxUnavailable or wait)",
                        gpus,
                        Set.of());
            }
            Log.infof("node %s: evicted %s to repartition GPU(s) %s", node.name(), PodFacts.id(victim), gpus);
            events.normal(
                    nodeRef(snapshot, node.name()),
                    "ReplicaEvicted",
                    "evicted " + PodFacts.id(victim) + " to repartition GPU(s) " + gpus);
            notes.add("evicted " + PodFacts.id(victim));
        }
        if (!terminating.isEmpty()) {
            notes.add(terminating.size() + " pod(s) on these GPUs terminating");
        }
        return new NodeProgress(
                node.name(),
                Phase.DRAINING,
                Reasons.DRAINING,
                "draining GPU(s) " + gpus + " on " + node.name() + ": " + String.join("; ", notes),
                gpus,
                Set.of());
    }

    /**
     * Evicts replicas the plan displaces from GPUs that keep their layout (a higher-priority demand takes their
     * slices). Same rules as a drain: movable only, replacements first, one per deployment at a time.
     */
    void evictDisplaced(Plan plan, Inventory inventory, ClusterSnapshot snapshot, Map<String, List<Integer>> changing) {
        Map<String, Pod> byId = new TreeMap<>();
        snapshot.pods().forEach(p -> byId.put(PodFacts.id(p), p));
        java.util.Set<String> started = new java.util.HashSet<>();
        for (String replica : plan.moved()) {
            Pod pod = byId.get(replica);
            if (pod == null || PodFacts.isTerminating(pod) || !PodFacts.isBound(pod)) {
                continue;
            }
            String node = PodFacts.node(pod);
            Optional<ReplicaSlice> slice = ReplicaSlice.of(pod);
            if (slice.isEmpty()
                    || changing.getOrDefault(node, List.of())
                            .contains(slice.get().gpu())) {
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
            ReplicaEvictor.Outcome outcome = evictor.evict(pod);
            if (outcome.evicted()) {
                Log.infof("%s: evicted: a higher-priority deployment takes its slice on %s", replica, node);
                events.normal(
                        pod,
                        "ReplicaDisplaced",
                        "evicted: a higher-priority deployment takes its "
                                + slice.get().profile() + " slice on " + node);
            } else {
                events.warning(pod, Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET, outcome.refusal());
            }
        }
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
    private static boolean mayRunOn(Pod pod, String node, List<Integer> gpus, Inventory inventory) {
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

    private static boolean onGpus(Pod p, String node, List<Integer> gpus) {
        return node.equals(PodFacts.node(p))
                && ReplicaSlice.of(p).map(s -> gpus.contains(s.gpu())).orElse(false);
    }

    private static NodeProgress waiting(GpuNode node, List<Integer> gpus, String reason, String message) {
        return new NodeProgress(node.name(), Phase.WAITING, reason, message, gpus, Set.of());
    }

    private static io.fabric8.kubernetes.api.model.Node nodeRef(ClusterSnapshot snapshot, String name) {
        return snapshot.nodes().stream()
                .filter(n -> n.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow();
    }
}
