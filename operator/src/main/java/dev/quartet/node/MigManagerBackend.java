package dev.quartet.node;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.node.MigConfigStore.Write;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.Plan;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.NodeProgress.Phase;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.quarkus.logging.Log;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Drives NVIDIA MIG Manager: for each node whose planned layout differs from its current one, drains the
 * GPUs that change (movable replicas only, replacements first, through the Eviction API), writes a content-named
 * config into the mig-parted ConfigMap, sets {@code nvidia.com/mig.config}, follows
 * {@code nvidia.com/mig.config.state}, and rolls back on failure or timeout. Everything it needs to resume lives
 * on the node (labels, annotations) and in the ConfigMap.
 */
@ApplicationScoped
public class MigManagerBackend implements MigBackend {

    @Inject
    KubernetesClient client;

    @Inject
    QuartetConfig config;

    @Inject
    EventRecorder events;

    private MigConfigStore store;
    private NodeDrain drain;

    @PostConstruct
    void init() {
        store = new MigConfigStore(client, config.migManager());
        drain = new NodeDrain(new ReplicaEvictor(client), events);
    }

    @Override
    public Map<String, NodeProgress> reconcile(Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now) {
        Map<String, NodeProgress> progress = new TreeMap<>();
        Map<String, Node> nodes = snapshot.nodes().stream()
                .collect(Collectors.toMap(n -> n.getMetadata().getName(), n -> n, (a, b) -> a, TreeMap::new));
        Set<String> inFlight = new TreeSet<>();
        restoreMissingConfigs(snapshot);
        for (GpuNode n : inventory.nodes().values()) {
            if (inventory.lostNodes().contains(n.name())) {
                continue;
            }
            watch(n, plan, now, nodes.get(n.name()), snapshot.migConfig()).ifPresent(p -> {
                progress.put(n.name(), p);
                if (p.phase() == Phase.APPLYING) {
                    inFlight.add(n.name());
                }
            });
            // MIG Manager busy on a node counts against the limit whoever chose the config: a rollback, an
            // administrator's relabel, an attempt whose timeout is already recorded.
            if (NvidiaLabels.STATE_PENDING.equals(n.migState()) || NvidiaLabels.STATE_REBOOTING.equals(n.migState())) {
                inFlight.add(n.name());
            }
        }
        Map<String, List<GpuPlan>> changes = new TreeMap<>();
        plan.gpus().stream()
                .filter(GpuPlan::repartition)
                .forEach(g -> changes.computeIfAbsent(g.node(), k -> new ArrayList<>())
                        .add(g));
        // A config staged for a change the plan no longer wants would otherwise be kept in the ConfigMap for ever.
        inventory.nodes().values().stream()
                .filter(n -> !changes.containsKey(n.name()) && n.annotation(QuartetLabels.NODE_CONFIG_STAGED) != null)
                .forEach(n -> patch(n.name(), Map.of(), nullValue(QuartetLabels.NODE_CONFIG_STAGED)));
        List<String> candidates = changes.keySet().stream()
                .filter(n -> inventory.nodes().containsKey(n)
                        && !inventory.lostNodes().contains(n)
                        && !inFlight.contains(n)
                        && !progress.containsKey(n))
                // A node keeps its turn once it has one: its config is staged (the first step of a turn) or its
                // drain has evicted a pod still terminating; else two nodes' drains would interleave.
                .sorted(Comparator.comparing((String n) ->
                                !(inventory.nodes().get(n).annotation(QuartetLabels.NODE_CONFIG_STAGED) != null
                                        || drain.started(n, changes.get(n), snapshot)))
                        .thenComparing(n -> n))
                .toList();
        Map<String, List<Integer>> changingGpus = new TreeMap<>();
        changes.forEach((n, gpus) ->
                changingGpus.put(n, gpus.stream().map(GpuPlan::index).toList()));
        drain.evictDisplaced(plan, inventory, snapshot, changingGpus);
        if (!config.migManager().repartitionEnabled()) {
            return progress;
        }
        int slots = config.migManager().maxConcurrentRepartitions() - inFlight.size();
        for (String name : candidates) {
            List<Integer> gpus =
                    changes.get(name).stream().map(GpuPlan::index).sorted().toList();
            if (slots <= 0) {
                progress.put(
                        name,
                        new NodeProgress(
                                name,
                                Phase.WAITING,
                                Reasons.REPARTITIONING,
                                "waiting for a turn: at most "
                                        + config.migManager().maxConcurrentRepartitions()
                                        + " node(s) repartition at a time",
                                gpus,
                                Set.of()));
                continue;
            }
            slots--;
            GpuNode node = inventory.nodes().get(name);
            // The config goes into the ConfigMap first, so that MIG Manager's copy catches up while the GPUs drain.
            Optional<Staged> staged = stage(node, plan, snapshot, now);
            NodeProgress step = drain.step(node, gpus, plan, inventory, snapshot);
            if (step == null) {
                step = apply(node, plan, snapshot, now, gpus, staged);
            }
            progress.put(name, step);
        }
        return progress;
    }

    /**
     * Follows a config Quartet set on the node: success, still applying, or failed/timed out (rolled back, or
     * reported once when there is nothing to roll back to).
     */
    private Optional<NodeProgress> watch(GpuNode n, Plan plan, Instant now, Node node, MigPartedConfig read) {
        Optional<NodeMigRecord> failure = NodeMigRecord.of(n);
        String current = n.migConfig();
        boolean ours = current != null && current.equals(n.annotation(QuartetLabels.NODE_CONFIG));
        String state = n.migState();
        // A rollback that itself hangs or fails is reported, not rolled back again.
        boolean rollbackUnderWay = failure.filter(
                        f -> f.activeAt(now) && current != null && current.equals(f.rolledBackTo()))
                .isPresent();
        // So is an attempt whose failure is recorded already: recording it again on every pass would push the
        // back-off out for ever and repeat the warning (a node with nothing to roll back to stays on that config).
        boolean recorded = failure.filter(f -> recordsCurrentAttempt(f, n)).isPresent();
        boolean watching = ours && !rollbackUnderWay && !recorded;
        if (watching && (NvidiaLabels.STATE_PENDING.equals(state) || NvidiaLabels.STATE_REBOOTING.equals(state))) {
            Instant requested = requestedAt(n).orElse(now);
            if (requested.plus(config.migManager().repartitionTimeout()).isBefore(now)) {
                return Optional.of(rollBack(
                        n,
                        plan,
                        now,
                        read,
                        Reasons.MIG_MANAGER_TIMEOUT,
                        "MIG Manager left node "
                                + n.name() + " pending for more than "
                                + config.migManager().repartitionTimeout().toSeconds()
                                + " s applying " + current));
            }
            return Optional.of(new NodeProgress(
                    n.name(),
                    Phase.APPLYING,
                    Reasons.REPARTITIONING,
                    "MIG Manager is applying " + current + " on " + n.name() + " (" + state + ")",
                    List.of(),
                    Set.of()));
        }
        if (watching && NvidiaLabels.STATE_FAILED.equals(state)) {
            return Optional.of(rollBack(
                    n,
                    plan,
                    now,
                    read,
                    Reasons.MIG_MANAGER_FAILED,
                    "MIG Manager reported failed on node " + n.name() + " applying " + current
                            + " (its log on that node says why)"));
        }
        boolean success = ours && NvidiaLabels.STATE_SUCCESS.equals(state);
        boolean newlyGood = success && !current.equals(n.annotation(QuartetLabels.NODE_LAST_GOOD_CONFIG));
        // MIG Manager can still succeed after Quartet recorded a timeout (or after a failure it retried itself);
        // Quartet rolled nothing back when it did not have to, so the node now runs the config the record names.
        boolean recordOutdated =
                success && failure.filter(f -> f.config().equals(current)).isPresent();
        if (newlyGood || recordOutdated) {
            Map<String, String> annotations = new LinkedHashMap<>();
            if (newlyGood) {
                annotations.put(QuartetLabels.NODE_LAST_GOOD_CONFIG, current);
            }
            if (recordOutdated || failure.filter(f -> !f.activeAt(now)).isPresent()) {
                annotations.put(QuartetLabels.NODE_LAST_FAILURE, null);
            }
            patch(n.name(), Map.of(), annotations);
            String applied = "MIG Manager applied " + current + " on " + n.name()
                    + (recordOutdated ? " (after the failure Quartet recorded, which is cleared)" : "");
            events.normal(node, "MigRepartitioned", applied);
            Log.infof("node %s: %s", n.name(), applied);
            if (recordOutdated) {
                return Optional.empty();
            }
        }
        return failure.filter(f -> f.activeAt(now))
                .map(f -> new NodeProgress(
                        n.name(),
                        Phase.FAILED,
                        f.reason(),
                        (Reasons.MIG_MANAGER_TIMEOUT.equals(f.reason())
                                        ? "MIG Manager timed out"
                                        : "MIG Manager failed")
                                + " on node " + n.name() + " applying " + f.config() + "; "
                                + (f.rolledBackTo() == null
                                        ? nothingToRollBackTo(n)
                                        : "rolled back to " + f.rolledBackTo() + "; Quartet retries after "
                                                + f.retryAfter() + " (remove annotation "
                                                + QuartetLabels.NODE_LAST_FAILURE + " to retry now)"),
                        List.of(),
                        Set.copyOf(f.deployments())));
    }

    /**
     * Whether {@code f} records a failure of the node's current config since Quartet last set it. An older record
     * of the same config (set again after a back-off) does not count: that new attempt may fail and roll back.
     */
    private static boolean recordsCurrentAttempt(NodeMigRecord f, GpuNode n) {
        if (n.migConfig() == null || !n.migConfig().equals(f.config())) {
            return false;
        }
        try {
            return requestedAt(n)
                    .map(requested -> !Instant.parse(f.at()).isBefore(requested))
                    .orElse(true);
        } catch (RuntimeException e) {
            return true;
        }
    }

    /**
     * Writes back Quartet's configs that nodes select, may roll back to or are about to select, when the ConfigMap
     * as cached lacks one whose content is known. Only then are the contents recorded on the nodes parsed, and the
     * live ConfigMap and nodes read.
     */
    private void restoreMissingConfigs(ClusterSnapshot snapshot) {
        MigPartedConfig read = snapshot.migConfig();
        store.remember(read);
        List<String> missing = TargetConfig.inUse(snapshot.nodes()).stream()
                .filter(c -> read == null || !read.configs().containsKey(c))
                .toList();
        if (!missing.stream().allMatch(store::knows)) {
            store.remember(snapshot.nodes());
        }
        if (missing.stream().anyMatch(store::knows)) {
            store.restore(TargetConfig.inUse(client.nodes().list().getItems()));
        }
    }

    private static String nothingToRollBackTo(GpuNode n) {
        return "nothing to roll back to (no other config is known to work on this node): set " + NvidiaLabels.MIG_CONFIG
                + " on " + n.name() + " to a config that works there";
    }

    private NodeProgress rollBack(
            GpuNode n, Plan plan, Instant now, MigPartedConfig read, String reason, String message) {
        String failed = n.migConfig();
        String lastGood = n.annotation(QuartetLabels.NODE_LAST_GOOD_CONFIG);
        List<String> affected = plan.assignments().stream()
                .filter(a -> a.node().equals(n.name()) && !a.existing())
                .map(Assignment::demand)
                .distinct()
                .sorted()
                .toList();
        // Selecting the config that failed again would change nothing; selecting one the ConfigMap lacks (and
        // Quartet cannot write back) would fail at once.
        String target = lastGood == null || lastGood.equals(failed) ? null : lastGood;
        String gone = null;
        if (target != null
                && !store.knows(target)
                && (read == null || !read.configs().containsKey(target))) {
            gone = target;
            target = null;
        }
        Instant retry = now.plus(config.migManager().retryBackoff());
        NodeMigRecord record = new NodeMigRecord(failed, reason, stamp(now), stamp(retry), target, affected);
        Map<String, String> labels = new LinkedHashMap<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(QuartetLabels.NODE_LAST_FAILURE, record.json());
        if (target != null) {
            labels.put(NvidiaLabels.MIG_CONFIG, target);
            labels.put(NvidiaLabels.MIG_CONFIG_STATE, NvidiaLabels.STATE_PENDING);
            annotations.put(QuartetLabels.NODE_CONFIG, target);
            annotations.put(QuartetLabels.NODE_CONFIG_REQUESTED_AT, stamp(now));
        }
        patch(n.name(), labels, annotations);
        String full = message + "; "
                + (target != null
                        ? "rolled back to " + target + ", next attempt after " + stamp(retry)
                        : gone != null
                                ? "cannot roll back to " + gone + ", the last config known to work "
                                        + "here: the mig-parted ConfigMap no longer has it; set "
                                        + NvidiaLabels.MIG_CONFIG + " on "
                                        + n.name() + " to a config that works there"
                                : nothingToRollBackTo(n));
        Log.warnf("node %s: %s. Check MIG Manager's log on the node", n.name(), full);
        Node node = client.nodes().withName(n.name()).get();
        if (node != null) {
            events.warning(node, reason, full);
        }
        return new NodeProgress(n.name(), Phase.FAILED, reason, full, List.of(), Set.copyOf(affected));
    }

    /** A config Quartet wrote for a node, and when: annotation {@code <config>@<time>}. */
    record Staged(String config, Instant at) {
        static Optional<Staged> of(GpuNode n) {
            String value = n.annotation(QuartetLabels.NODE_CONFIG_STAGED);
            try {
                return configOf(value).map(c -> new Staged(c, Instant.parse(value.substring(c.length() + 1))));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        /** The config an annotation value names, whatever its time. */
        static Optional<String> configOf(String value) {
            int at = value == null ? -1 : value.lastIndexOf('@');
            return at <= 0 ? Optional.empty() : Optional.of(value.substring(0, at));
        }

        String annotation() {
            return config + "@" + stamp(at);
        }
    }

    /**
     * Writes the node's planned layout as a content-named config into the ConfigMap and records when, unless that
     * config is staged already; empty when the ConfigMap changed concurrently (retried on the next pass). Which of
     * Quartet's other configs are still in use is read from the live nodes, not from the snapshot: the snapshot
     * lacks the labels set earlier in this pass (and, while the informer cache catches up, in the last one), and
     * removing such a config would leave its node selecting a config that no longer exists.
     */
    private Optional<Staged> stage(GpuNode n, Plan plan, ClusterSnapshot snapshot, Instant now) {
        List<MigConfigSpec> groups = TargetConfig.groups(n, plan, snapshot.migConfig());
        String name = MigPartedConfigWriter.configName(groups);
        Optional<Staged> staged = Staged.of(n).filter(s -> s.config().equals(name));
        if (staged.isPresent()) {
            return staged;
        }
        if (store.ensure(name, groups, TargetConfig.inUse(client.nodes().list().getItems())) == Write.CONFLICT) {
            return Optional.empty();
        }
        Staged fresh = new Staged(name, now);
        patch(n.name(), Map.of(), Map.of(QuartetLabels.NODE_CONFIG_STAGED, fresh.annotation()));
        return Optional.of(fresh);
    }

    /**
     * Selects the node's staged config with the node label, once MIG Manager's mounted copy of the ConfigMap has had
     * {@code config-propagation-delay} to show it, and if the ConfigMap still holds it (else it is staged again).
     * With a zero delay a config is staged and selected in one pass, with one read of the ConfigMap and nodes.
     */
    private NodeProgress apply(
            GpuNode n, Plan plan, ClusterSnapshot snapshot, Instant now, List<Integer> gpus, Optional<Staged> staged) {
        if (staged.isEmpty()) {
            return new NodeProgress(
                    n.name(),
                    Phase.WAITING,
                    Reasons.REPARTITIONING,
                    "writing a MIG config for " + n.name() + " (ConfigMap changed concurrently, retrying)",
                    gpus,
                    Set.of());
        }
        String name = staged.get().config();
        Instant ready = staged.get().at().plus(config.migManager().configPropagationDelay());
        if (now.isBefore(ready)) {
            return new NodeProgress(
                    n.name(),
                    Phase.WAITING,
                    Reasons.REPARTITIONING,
                    "MIG config " + name
                            + " written for " + n.name() + " at "
                            + stamp(staged.get().at()) + "; selecting it after "
                            + stamp(ready) + ", once MIG Manager's mounted copy of the ConfigMap shows it",
                    gpus,
                    Set.of());
        }
        // Staged in an earlier pass, the config may have left the ConfigMap since (an edit); staged in this one
        // (no propagation delay), stage() has just read and written it.
        Write found = staged.get().at().isBefore(now)
                ? store.ensure(
                        name,
                        TargetConfig.groups(n, plan, snapshot.migConfig()),
                        TargetConfig.inUse(client.nodes().list().getItems()))
                : Write.PRESENT;
        if (found != Write.PRESENT) {
            if (found == Write.ADDED) {
                patch(n.name(), Map.of(), Map.of(QuartetLabels.NODE_CONFIG_STAGED, new Staged(name, now).annotation()));
            }
            return new NodeProgress(
                    n.name(),
                    Phase.WAITING,
                    Reasons.REPARTITIONING,
                    "MIG config " + name + " was missing from the ConfigMap and is written again for " + n.name(),
                    gpus,
                    Set.of());
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NvidiaLabels.MIG_CONFIG, name);
        labels.put(NvidiaLabels.MIG_CONFIG_STATE, NvidiaLabels.STATE_PENDING);
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(QuartetLabels.NODE_CONFIG, name);
        annotations.put(QuartetLabels.NODE_CONFIG_REQUESTED_AT, stamp(now));
        annotations.put(QuartetLabels.NODE_CONFIG_STAGED, null);
        // The config the node leaves is the rollback target if it is known to work: MIG Manager reported success,
        // or, with no state reported, an administrator chose it before Quartet and it is in the ConfigMap (the
        // planner then only repartitions the node once the device plugin advertises that config's slices).
        if (n.migConfig() != null
                && (NvidiaLabels.STATE_SUCCESS.equals(n.migState())
                        || (n.migState() == null
                                && n.annotation(QuartetLabels.NODE_CONFIG) == null
                                && snapshot.migConfig() != null
                                && snapshot.migConfig().configs().containsKey(n.migConfig())))) {
            annotations.put(QuartetLabels.NODE_LAST_GOOD_CONFIG, n.migConfig());
        }
        String lastGood = annotations.getOrDefault(
                QuartetLabels.NODE_LAST_GOOD_CONFIG, n.annotation(QuartetLabels.NODE_LAST_GOOD_CONFIG));
        annotations.put(QuartetLabels.NODE_CONFIG_CONTENT, store.contentAnnotation(Arrays.asList(name, lastGood)));
        patch(n.name(), labels, annotations);
        String message = "set " + NvidiaLabels.MIG_CONFIG + "=" + name + " on " + n.name() + " to repartition GPU(s) "
                + gpus + " (was " + n.migConfig() + ")";
        Log.infof("node %s: %s", n.name(), message);
        Node node = client.nodes().withName(n.name()).get();
        if (node != null) {
            events.normal(node, "MigRepartitionStarted", message);
        }
        return new NodeProgress(n.name(), Phase.APPLYING, Reasons.REPARTITIONING, message, gpus, Set.of());
    }

    /**
     * Sets (or, for a null value, removes) only these labels and annotations, with a JSON merge patch, as
     * {@code kubectl label} does: no read-modify-write, so the kubelet's and the node controller's own writes to
     * the node never make it fail with a conflict.
     */
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private void patch(String node, Map<String, String> labels, Map<String, String> annotations) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (!labels.isEmpty()) {
            metadata.put("labels", labels);
        }
        if (!annotations.isEmpty()) {
            metadata.put("annotations", annotations);
        }
        client.nodes()
                .withName(node)
                .patch(PatchContext.of(PatchType.JSON_MERGE), JSON.asJson(Map.of("metadata", metadata)));
    }

    private static Map<String, String> nullValue(String key) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(key, null);
        return m;
    }

    private static Optional<Instant> requestedAt(GpuNode n) {
        try {
            return Optional.ofNullable(n.annotation(QuartetLabels.NODE_CONFIG_REQUESTED_AT))
                    .map(Instant::parse);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String stamp(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
