package dev.quartet.reconciler;

import dev.quartet.config.QuartetConfig;
import dev.quartet.demand.DemandFactory;
import dev.quartet.dependent.InferenceDeploymentPodDisruptionBudgetDependentResource;
import dev.quartet.dependent.ReplicaPodFactory;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.node.NewPodGate;
import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.Demand;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.Reasons;
import dev.quartet.status.RolloutProgress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.logging.Log;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Makes a deployment's replica pods match its part of the plan: deletes failed, lost, released and surplus
 * pending pods, rolls outdated pods one at a time, and creates new pods on the planned nodes once those nodes
 * can take them. Pod names are {@code <name>-<ordinal>}, so a stale cache can never create a duplicate.
 */
@ApplicationScoped
public class ReplicaActuator {

    @Inject
    KubernetesClient client;

    @Inject
    EventRecorder events;

    @Inject
    QuartetConfig config;

    @Inject
    ReplicaClaims claims;

    private ReplicaPodFactory factory;

    @PostConstruct
    void init() {
        factory = new ReplicaPodFactory(config.worker());
    }

    public ReplicaPodFactory factory() {
        return factory;
    }

    public ReplicaActions apply(InferenceDeployment d, DeploymentPart part, ClusterView view) {
        List<Pod> pods = view.podsOf(part.deployment());
        List<String> created = new ArrayList<>();
        Map<String, String> deleted = new LinkedHashMap<>();
        List<Pod> live = new ArrayList<>();
        // A kept replica that has restarted is failing, not starting: waiting for it would never end a scale-down.
        boolean keptStarting = pods.stream()
                .anyMatch(p -> PodFacts.isStarting(p)
                        && !PodFacts.isFailing(p)
                        && !part.released().contains(PodFacts.id(p)));
        boolean replacementUnderWay = keptStarting || replacementCanStart(part, view);
        for (Pod pod : pods) {
            if (PodFacts.isTerminating(pod)) {
                continue;
            }
            String why = removalReason(pod, part, view, keptStarting);
            if (why == null && !replacementUnderWay && movedOffDra(pod, part, view)) {
                why = "moved, and no replacement can start while it holds its placement; the plan places it again";
            }
            if (why == null && ReplicaClaims.gated(pod)) {
                // a replica on a DRA node whose claim a cut-short reconcile left unallocated or its gate in place
                why = release(pod, view);
            }
            if (why != null) {
                delete(d, pod, why, deleted);
            } else {
                live.add(pod);
            }
        }
        RolloutProgress rollout = rollOut(d, view, live, pods, deleted);
        List<String> waiting = new ArrayList<>();
        Map<String, List<Pod>> inflight = new TreeMap<>();
        // an unbound pod the plan keeps is a DRA replica whose claim is allocated: the scheduler is binding it
        live.stream()
                .filter(p -> !PodFacts.isBound(p)
                        && !part.keep().contains(PodFacts.id(p))
                        && !deleted.containsKey(p.getMetadata().getName()))
                .forEach(p -> inflight.computeIfAbsent(PodFacts.plannedNode(p), n -> new ArrayList<>())
                        .add(p));
        for (Map.Entry<String, List<Pod>> e : inflight.entrySet()) {
            int wanted = part.newByNode().getOrDefault(e.getKey(), 0);
            List<Pod> surplus = e.getValue().stream()
                    .sorted(Comparator.comparing(
                            (Pod p) -> p.getMetadata().getCreationTimestamp(),
                            Comparator.nullsLast(Comparator.reverseOrder())))
                    .limit(Math.max(0, e.getValue().size() - wanted))
                    .toList();
            surplus.forEach(
                    p -> delete(d, p, "the plan no longer places this pending replica on " + e.getKey(), deleted));
        }
        String profile = part.profile().orElse(null);
        Set<Integer> used = ordinals(d, pods);
        for (Map.Entry<String, Integer> e : part.newByNode().entrySet()) {
            String node = e.getKey();
            int missing = e.getValue() - inflight.getOrDefault(node, List.of()).size();
            if (missing <= 0) {
                continue;
            }
            String nodeProfile = part.assignments().stream()
                    .filter(a -> !a.existing() && a.node().equals(node))
                    .map(a -> a.profile())
                    .findFirst()
                    .orElse(profile);
            if (view.inventory().isDra(node)) {
                createOnDra(d, part, view, node, nodeProfile, inflight.getOrDefault(node, List.of()), used, created)
                        .ifPresent(waiting::add);
                continue;
            }
            if (!NewPodGate.allows(view.plan(), view.inventory(), node, nodeProfile)) {
                waiting.add(node);
                events.normal(d, Reasons.WAITING_FOR_REPARTITION, EventSentences.waitingFor(view, node));
                continue;
            }
            List<Assignment> onNode = part.assignments().stream()
                    .filter(a -> !a.existing() && a.node().equals(node))
                    .toList();
            int planned = inflight.getOrDefault(node, List.of()).size();
            for (int i = 0; i < missing; i++) {
                Created outcome = Created.NAME_TAKEN;
                Assignment slot = planned + i < onNode.size() ? onNode.get(planned + i) : null;
                for (int tries = 0; outcome == Created.NAME_TAKEN && tries < MAX_TAKEN_NAMES; tries++) {
                    Pod pod = factory.desired(d, nodeProfile, node, nextOrdinal(used));
                    outcome = create(d, pod);
                    if (outcome == Created.YES) {
                        created.add(pod.getMetadata().getName());
                        events.normal(
                                d,
                                "ReplicaPlaced",
                                EventSentences.placed(pod.getMetadata().getName(), nodeProfile, node, slot));
                    }
                }
            }
        }
        return new ReplicaActions(created, deleted, waiting, rollout);
    }

    /**
     * New replicas on a node of NVIDIA's DRA driver, one per planned placement no pod in flight has yet, each pod
     * made for its placement ({@link ReplicaClaims}). A placement a claim still holds (a replica moving off it, a
     * claim being released) waits. Returns the node when some replica waits.
     */
    private Optional<String> createOnDra(
            InferenceDeployment d,
            DeploymentPart part,
            ClusterView view,
            String node,
            String profile,
            List<Pod> inflight,
            Set<Integer> used,
            List<String> created) {
        Set<String> taken = new HashSet<>();
        inflight.forEach(p -> ReplicaClaims.plannedDevice(p).ifPresent(dev -> taken.add(dev.name())));
        GpuNode facts = view.inventory().nodes().get(node);
        boolean waits = false;
        for (Assignment slot : part.assignments()) {
            if (slot.existing() || !slot.node().equals(node)) {
                continue;
            }
            String device = DraMigDevice.of(slot.gpu(), facts.model().requireProfile(slot.profile()), slot.start())
                    .name();
            if (!taken.add(device)) {
                continue;
            }
            if (!NewPodGate.placementFree(view.inventory(), node, slot.gpu(), slot.profile(), slot.start(), null)) {
                waits = true;
                continue;
            }
            Created outcome = Created.NAME_TAKEN;
            for (int tries = 0; outcome == Created.NAME_TAKEN && tries < MAX_TAKEN_NAMES; tries++) {
                Pod pod = factory.desiredOnDra(d, slot.profile(), node, nextOrdinal(used), device);
                Made result = createPod(d, pod);
                outcome = result.outcome();
                Pod made = result.pod();
                if (made != null) {
                    created.add(pod.getMetadata().getName());
                    events.normal(
                            d,
                            "ReplicaPlaced",
                            EventSentences.placed(pod.getMetadata().getName(), slot.profile(), node, slot));
                    String why = release(made, view);
                    if (why != null) {
                        delete(d, made, why, new LinkedHashMap<>());
                    }
                }
            }
        }
        return waits ? Optional.of(node) : Optional.empty();
    }

    /** Releases a gated DRA replica to the scheduler; why it must go instead, or null. */
    private String release(Pod pod, ClusterView view) {
        ReplicaClaims.Outcome outcome = claims.release(pod, view.inventory(), java.time.Instant.now());
        return outcome == ReplicaClaims.Outcome.PLACEMENT_TAKEN
                ? "its planned placement " + pod.getMetadata().getAnnotations().get(QuartetLabels.PLANNED_DEVICE)
                        + " is held by another claim; the plan places it again"
                : null;
    }

    /**
     * Whether one of the deployment's new replicas can be created now: its planned placement is free on a node of
     * NVIDIA's DRA driver, or a node of MIG Manager takes new pods.
     */
    private static boolean replacementCanStart(DeploymentPart part, ClusterView view) {
        return part.assignments().stream()
                .filter(a -> !a.existing())
                .anyMatch(a -> view.inventory().isDra(a.node())
                        ? NewPodGate.placementFree(view.inventory(), a.node(), a.gpu(), a.profile(), a.start(), null)
                        : NewPodGate.allows(view.plan(), view.inventory(), a.node(), a.profile()));
    }

    /**
     * A replica the plan moves off a node of NVIDIA's DRA driver. Nothing of MIG Manager's drain runs there: a move
     * completes when its replacement's claim is allocated and the plan releases the replica it replaces. A moved
     * replica whose replacement cannot start (its placement is held by another moved replica, or the plan gives a
     * higher priority its slice and no replacement) would hold its placement for ever, so it goes when nothing of
     * its deployment is starting.
     */
    private static boolean movedOffDra(Pod pod, DeploymentPart part, ClusterView view) {
        return part.moved().contains(PodFacts.id(pod))
                && PodFacts.isBound(pod)
                && view.inventory().isDra(PodFacts.node(pod));
    }

    /**
     * Why a non-terminating pod must go now, or null to keep it; {@code keptStarting}: a replica the plan keeps is
     * on a node but not Ready yet.
     */
    private String removalReason(Pod pod, DeploymentPart part, ClusterView view, boolean keptStarting) {
        String id = PodFacts.id(pod);
        if (PodFacts.isFinished(pod)) {
            return "replica " + pod.getMetadata().getName() + " ended ("
                    + pod.getStatus().getPhase() + "); a new one replaces it";
        }
        String node = PodFacts.nodeOrPlanned(pod);
        if (node != null && view.inventory().lostNodes().contains(node)) {
            return "node " + node + " is not Ready; the replica is replaced on another node";
        }
        if (part.released().contains(id)) {
            // A Ready replica goes only once the replicas that stay are Ready too: when a move's replacement
            // starts, the plan releases the old replica instead of moving it, and it must serve until then.
            return PodFacts.isReady(pod) && keptStarting ? null : "scaled down";
        }
        if (!PodFacts.isBound(pod)
                && !part.keep().contains(id)
                && (node == null || !part.newByNode().containsKey(node))) {
            return "the plan no longer places this pending replica on " + node;
        }
        return null;
    }

    /**
     * Replaces pods of an older template, or with a slice of another profile than the spec now gives on their
     * node's GPU model, one at a time, each only once every other replica is Ready and, for a Ready one, while at
     * least {@code replicas - max(1, maxUnavailable)} others stay Ready. Says whether that rule alone held the next
     * one back.
     */
    private RolloutProgress rollOut(
            InferenceDeployment d, ClusterView view, List<Pod> live, List<Pod> all, Map<String, String> deleted) {
        Demand demand = view.demands().get(DemandFactory.id(d));
        List<Pod> outdated = new ArrayList<>();
        for (Pod p : live) {
            String profile = PodFacts.replicaProfile(p);
            GpuNode node = view.inventory().nodes().get(PodFacts.nodeOrPlanned(p));
            if (!factory.templateHash(d, profile)
                            .equals(p.getMetadata().getLabels().get(QuartetLabels.TEMPLATE_HASH))
                    || node != null
                            && demand != null
                            && !demand.profileOn(node.model())
                                    .map(profile::equals)
                                    .orElse(false)) {
                outdated.add(p);
            }
        }
        if (outdated.isEmpty()) {
            return RolloutProgress.NONE;
        }
        outdated.stream().filter(p -> !PodFacts.isBound(p)).forEach(p -> delete(d, p, "outdated template", deleted));
        boolean othersSettled = all.stream().noneMatch(view.inventory()::finishingTermination)
                && live.stream().filter(p -> !outdated.contains(p)).allMatch(PodFacts::isReady);
        int maxUnavailable = InferenceDeploymentPodDisruptionBudgetDependentResource.maxUnavailable(d);
        List<Pod> remaining = outdated.stream()
                .filter(PodFacts::isBound)
                .filter(p -> !deleted.containsKey(p.getMetadata().getName()))
                .toList();
        boolean heldBack = false;
        if (othersSettled) {
            // A Ready replica goes only while enough stay Ready: right after a deletion the replacement does not
            // exist yet, so "every other replica is Ready" alone would take the next one down at once.
            long ready = live.stream()
                    .filter(p -> PodFacts.isReady(p)
                            && !deleted.containsKey(p.getMetadata().getName()))
                    .count();
            boolean roomForOneDown = ready - 1 >= ReplicaTarget.of(d) - Math.max(1, maxUnavailable);
            Pod next = remaining.stream()
                    .min(Comparator.comparing(PodFacts::isReady)
                            .thenComparing(p -> p.getMetadata().getName()))
                    .orElse(null);
            if (next != null && (!PodFacts.isReady(next) || roomForOneDown)) {
                delete(d, next, "rolling out a changed spec", deleted);
            } else {
                heldBack = next != null;
            }
        }
        int left = (int) remaining.stream()
                .filter(p -> !deleted.containsKey(p.getMetadata().getName()))
                .count();
        return new RolloutProgress(true, left, maxUnavailable, heldBack);
    }

    private static Set<Integer> ordinals(InferenceDeployment d, List<Pod> pods) {
        Set<Integer> used = new HashSet<>();
        String prefix = d.getMetadata().getName() + "-";
        for (Pod p : pods) {
            String n = p.getMetadata().getName();
            if (n.startsWith(prefix)) {
                try {
                    used.add(Integer.parseInt(n.substring(prefix.length())));
                } catch (NumberFormatException ignored) {
                    // not one of ours by name; its ordinal cannot collide
                }
            }
        }
        return used;
    }

    private static int nextOrdinal(Set<Integer> used) {
        int i = 0;
        while (used.contains(i)) {
            i++;
        }
        used.add(i);
        return i;
    }

    /** What creating a replica pod did. */
    private enum Created {
        YES,
        /** This deployment's pod of that name exists already: the cache is behind. */
        ALREADY,
        /** A pod of that name exists that is not this deployment's: the replica takes the next name. */
        NAME_TAKEN
    }

    /** Names taken by other pods that one replica skips before giving up until the next reconcile. */
    private static final int MAX_TAKEN_NAMES = 8;

    /** What creating a pod did, and the pod as created (with its uid) when it did. */
    private record Made(Created outcome, Pod pod) {}

    private Made createPod(InferenceDeployment d, Pod pod) {
        try {
            Pod made = client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .resource(pod)
                    .create();
            return new Made(Created.YES, made);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return new Made(create(d, pod), null);
        }
    }

    private Created create(InferenceDeployment d, Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        try {
            client.pods().inNamespace(namespace).resource(pod).create();
            return Created.YES;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            Pod existing = client.pods().inNamespace(namespace).withName(name).get();
            if (existing == null
                    || existing.getMetadata().getOwnerReferences().stream()
                            .anyMatch(o -> d.getMetadata().getUid().equals(o.getUid()))) {
                Log.debugf(
                        "%s/%s: replica %s already exists (cache behind)",
                        d.getMetadata().getNamespace(), d.getMetadata().getName(), name);
                return Created.ALREADY;
            }
            events.warning(
                    d,
                    "ReplicaNameTaken",
                    "pod " + name + " exists and is not this deployment's; the " + "replica takes the next free name");
            return Created.NAME_TAKEN;
        }
    }

    private void delete(InferenceDeployment d, Pod pod, String why, Map<String, String> deleted) {
        if (deleted.containsKey(pod.getMetadata().getName())) {
            return;
        }
        client.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .delete();
        deleted.put(pod.getMetadata().getName(), why);
        Log.infof(
                "%s/%s: deleted replica %s: %s",
                d.getMetadata().getNamespace(),
                d.getMetadata().getName(),
                pod.getMetadata().getName(),
                why);
        events.normal(d, "ReplicaRemoved", EventSentences.removed(pod, why));
    }
}
