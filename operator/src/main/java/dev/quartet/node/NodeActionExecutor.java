package dev.quartet.node;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.node.MigConfigStore.Write;
import dev.quartet.node.NodeAction.DropStaged;
import dev.quartet.node.NodeAction.Event;
import dev.quartet.node.NodeAction.Evict;
import dev.quartet.node.NodeAction.Fail;
import dev.quartet.node.NodeAction.MarkCheck;
import dev.quartet.node.NodeAction.RecordGood;
import dev.quartet.node.NodeAction.RestoreConfigs;
import dev.quartet.node.NodeAction.Select;
import dev.quartet.node.NodeAction.Stage;
import dev.quartet.node.NodeObservation.Eviction;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress.Phase;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.quarkus.logging.Log;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Carries out a node step's {@link NodeAction}s in order: node labels and annotations by JSON merge patch, the
 * mig-parted ConfigMap through {@link MigConfigStore}, evictions through {@link ReplicaEvictor}, Events through
 * {@link EventRecorder}. It stops at the first action the cluster refuses (a turn taken meanwhile, a ConfigMap
 * changed concurrently, a PodDisruptionBudget) and says so; an API error is thrown.
 *
 * <p>Steps of different nodes run one at a time, and the two decisions an out-of-date informer cache could get wrong
 * across nodes are checked against the API server first: taking a new turn (the nodes as they are) and evicting a
 * replica (its deployment's pods as they are: one eviction per deployment at a time, cluster-wide).
 */
final class NodeActionExecutor {

    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final KubernetesClient client;
    private final QuartetConfig.MigManager config;
    private final MigConfigStore store;
    private final ReplicaEvictor evictor;
    private final EventRecorder events;

    NodeActionExecutor(
            KubernetesClient client,
            QuartetConfig.MigManager config,
            MigConfigStore store,
            ReplicaEvictor evictor,
            EventRecorder events) {
        this.client = client;
        this.config = config;
        this.store = store;
        this.evictor = evictor;
        this.events = events;
    }

    /** Why a step stopped short, in place of the transition's report. */
    record Refusal(Phase phase, String reason, String message) {}

    /**
     * Carries out {@code actions} on {@code node} ({@code ref}: the node object Events are about); {@code lostNodes}:
     * nodes whose terminating pods never finish.
     */
    synchronized Optional<Refusal> execute(
            GpuNode node, Node ref, List<NodeAction> actions, Set<String> lostNodes, Instant now) {
        for (NodeAction action : actions) {
            Optional<Refusal> refusal = carryOut(node, ref, action, lostNodes, now);
            if (refusal.isPresent()) {
                return refusal;
            }
        }
        return Optional.empty();
    }

    private Optional<Refusal> carryOut(GpuNode node, Node ref, NodeAction action, Set<String> lostNodes, Instant now) {
        if (action instanceof RestoreConfigs) {
            return restore();
        } else if (action instanceof Stage s) {
            return stage(node, s, lostNodes, now);
        } else if (action instanceof DropStaged) {
            return patch(node, Map.of(), annotation(QuartetLabels.NODE_CONFIG_STAGED, null));
        } else if (action instanceof Select s) {
            return select(node, s, now);
        } else if (action instanceof Evict e) {
            return evict(node, ref, e.eviction(), lostNodes);
        } else if (action instanceof Fail f) {
            return fail(node, f, now);
        } else if (action instanceof RecordGood g) {
            return recordGood(node, g);
        } else if (action instanceof MarkCheck m) {
            return patch(node, Map.of(), annotation(QuartetLabels.NODE_LAYOUT_CHECK, m.value()));
        } else if (action instanceof Event e) {
            return event(ref, e);
        }
        throw new IllegalArgumentException("no way to carry out " + action);
    }

    private Optional<Refusal> restore() {
        store.restore(TargetConfig.inUse(liveNodes()));
        return Optional.empty();
    }

    private Optional<Refusal> stage(GpuNode node, Stage s, Set<String> lostNodes, Instant now) {
        List<Node> live = liveNodes();
        if (s.newTurn()) {
            List<GpuNode> others = live.stream()
                    .map(GpuNode::from)
                    .flatMap(Optional::stream)
                    .filter(n -> !n.name().equals(node.name()) && !lostNodes.contains(n.name()))
                    .toList();
            if (Turns.holders(others, now).size() >= config.maxConcurrentRepartitions()) {
                return Optional.of(new Refusal(
                        Phase.WAITING,
                        Reasons.REPARTITIONING,
                        "waiting for a turn: at most " + config.maxConcurrentRepartitions()
                                + " node(s) repartition at a time"));
            }
        }
        if (store.ensure(s.config(), s.groups(), TargetConfig.inUse(live)) == Write.CONFLICT) {
            return Optional.of(new Refusal(
                    Phase.WAITING,
                    Reasons.REPARTITIONING,
                    "writing a MIG config for " + node.name() + " (ConfigMap changed concurrently, retrying)"));
        }
        return patch(
                node,
                Map.of(),
                annotation(QuartetLabels.NODE_CONFIG_STAGED, new StagedConfig(s.config(), now).annotation()));
    }

    /**
     * Selects the staged config with the node label, if the ConfigMap still holds it (else it is staged again). Staged
     * in an earlier step, it may have left the ConfigMap since (an edit); staged in this one, it was just written.
     */
    private Optional<Refusal> select(GpuNode node, Select s, Instant now) {
        Write found = s.staged().at().isBefore(now)
                ? store.ensure(s.config(), s.groups(), TargetConfig.inUse(liveNodes()))
                : Write.PRESENT;
        if (found != Write.PRESENT) {
            if (found == Write.ADDED) {
                patch(
                        node,
                        Map.of(),
                        annotation(QuartetLabels.NODE_CONFIG_STAGED, new StagedConfig(s.config(), now).annotation()));
            }
            return Optional.of(new Refusal(
                    Phase.WAITING,
                    Reasons.REPARTITIONING,
                    "MIG config " + s.config() + " was missing from the ConfigMap and is written again for "
                            + node.name()));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NvidiaLabels.MIG_CONFIG, s.config());
        labels.put(NvidiaLabels.MIG_CONFIG_STATE, NvidiaLabels.STATE_PENDING);
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(QuartetLabels.NODE_CONFIG, s.config());
        annotations.put(QuartetLabels.NODE_CONFIG_REQUESTED_AT, StagedConfig.stamp(now));
        annotations.put(QuartetLabels.NODE_CONFIG_STAGED, null);
        annotations.put(QuartetLabels.NODE_LAYOUT_CHECK, NodeRecords.CHECK_PENDING);
        if (s.leaving() != null) {
            annotations.put(QuartetLabels.NODE_LAST_GOOD_CONFIG, s.leaving());
        }
        String lastGood = s.leaving() != null ? s.leaving() : node.annotation(QuartetLabels.NODE_LAST_GOOD_CONFIG);
        annotations.put(
                QuartetLabels.NODE_CONFIG_CONTENT, store.contentAnnotation(Arrays.asList(s.config(), lastGood)));
        patch(node, labels, annotations);
        Log.infof(
                "node %s: set %s=%s to repartition GPU(s) %s (was %s)",
                node.name(), NvidiaLabels.MIG_CONFIG, s.config(), s.gpus(), node.migConfig());
        return Optional.empty();
    }

    /**
     * Evicts one replica, unless another replica of its deployment is terminating as the API server has it now (the
     * cache may not show an eviction another node's step made a moment ago). A budget's refusal of a drain stops the
     * step; of a displaced replica, it is reported on the pod.
     */
    private Optional<Refusal> evict(GpuNode node, Node ref, Eviction e, Set<String> lostNodes) {
        Pod victim = e.pod();
        String namespace = victim.getMetadata().getNamespace();
        String name = victim.getMetadata().getLabels().get(QuartetLabels.DEPLOYMENT);
        List<Pod> live = client.pods()
                .inNamespace(namespace)
                .withLabel(QuartetLabels.DEPLOYMENT, name)
                .list()
                .getItems();
        boolean victimLive = live.stream()
                .anyMatch(p ->
                        p.getMetadata().getName().equals(victim.getMetadata().getName()) && !PodFacts.isTerminating(p));
        boolean underWay = live.stream()
                .filter(p -> e.deployment().equals(InventoryBuilder.deploymentOf(p)))
                .anyMatch(p ->
                        PodFacts.isTerminating(p) && !(PodFacts.isBound(p) && lostNodes.contains(PodFacts.node(p))));
        if (!victimLive || underWay) {
            Log.debugf(
                    "node %s: not evicting %s now: an eviction of %s is under way",
                    node.name(), e.id(), e.deployment());
            return Optional.empty();
        }
        ReplicaEvictor.Outcome outcome = evictor.evict(victim);
        if (e.displaced()) {
            String profile = ReplicaSlice.of(victim).map(ReplicaSlice::profile).orElse("MIG");
            if (outcome.evicted()) {
                Log.infof("%s: evicted: a higher-priority deployment takes its slice on %s", e.id(), node.name());
                events.normal(
                        victim,
                        "ReplicaDisplaced",
                        "evicted: a higher-priority deployment takes its " + profile + " slice on " + node.name());
            } else {
                events.warning(victim, Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET, outcome.refusal());
            }
            return Optional.empty();
        }
        if (!outcome.evicted()) {
            events.warning(ref, Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET, outcome.refusal());
            return Optional.of(new Refusal(
                    Phase.DRAIN_BLOCKED,
                    Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET,
                    "cannot repartition GPU(s) " + e.gpus() + " on " + node.name() + ": " + outcome.refusal()
                            + " (raise spec.maxUnavailable or wait)"));
        }
        Log.infof("node %s: evicted %s to repartition GPU(s) %s", node.name(), e.id(), e.gpus());
        events.normal(ref, "ReplicaEvicted", "evicted " + e.id() + " to repartition GPU(s) " + e.gpus());
        return Optional.empty();
    }

    private Optional<Refusal> fail(GpuNode node, Fail f, Instant now) {
        Map<String, String> labels = new LinkedHashMap<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(QuartetLabels.NODE_LAST_FAILURE, f.record().json());
        if (f.rollBackTo() != null) {
            labels.put(NvidiaLabels.MIG_CONFIG, f.rollBackTo());
            labels.put(NvidiaLabels.MIG_CONFIG_STATE, NvidiaLabels.STATE_PENDING);
            annotations.put(QuartetLabels.NODE_CONFIG, f.rollBackTo());
            annotations.put(QuartetLabels.NODE_CONFIG_REQUESTED_AT, StagedConfig.stamp(now));
            annotations.put(QuartetLabels.NODE_LAYOUT_CHECK, NodeRecords.CHECK_PENDING);
        } else {
            annotations.put(QuartetLabels.NODE_LAYOUT_CHECK, null);
        }
        patch(node, labels, annotations);
        Log.warnf(
                "node %s: %s applying %s; %s. Check MIG Manager's log on the node",
                node.name(),
                f.record().reason(),
                f.record().config(),
                f.rollBackTo() == null ? "nothing rolled back" : "rolled back to " + f.rollBackTo());
        return Optional.empty();
    }

    private Optional<Refusal> recordGood(GpuNode node, RecordGood g) {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(QuartetLabels.NODE_LAST_GOOD_CONFIG, g.config());
        annotations.put(QuartetLabels.NODE_LAYOUT_CHECK, null);
        if (g.clearFailure()) {
            annotations.put(QuartetLabels.NODE_LAST_FAILURE, null);
        }
        patch(node, Map.of(), annotations);
        Log.infof("node %s: MIG Manager applied %s and the node shows its layout", node.name(), g.config());
        return Optional.empty();
    }

    private Optional<Refusal> event(Node ref, Event e) {
        if (e.warning()) {
            events.warning(ref, e.reason(), e.message());
        } else {
            events.normal(ref, e.reason(), e.message());
        }
        return Optional.empty();
    }

    private List<Node> liveNodes() {
        return client.nodes().list().getItems();
    }

    /**
     * Sets (or, for a null value, removes) only these labels and annotations, with a JSON merge patch, as
     * {@code kubectl label} does: no read-modify-write, so the kubelet's and the node controller's own writes to the
     * node never make it fail with a conflict.
     */
    private Optional<Refusal> patch(GpuNode node, Map<String, String> labels, Map<String, String> annotations) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (!labels.isEmpty()) {
            metadata.put("labels", labels);
        }
        if (!annotations.isEmpty()) {
            metadata.put("annotations", annotations);
        }
        client.nodes()
                .withName(node.name())
                .patch(PatchContext.of(PatchType.JSON_MERGE), JSON.asJson(Map.of("metadata", metadata)));
        return Optional.empty();
    }

    private static Map<String, String> annotation(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(key, value);
        return m;
    }
}
