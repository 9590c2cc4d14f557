package dev.quartet.reconciler;

import dev.quartet.config.QuartetConfig;
import dev.quartet.demand.DemandFactory;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.MovesInFlight;
import dev.quartet.planner.Plan;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.PlanningSettings;
import dev.quartet.preview.QuickFit;
import dev.quartet.status.NodeProgress;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.ManagedInformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one cluster-wide planning step. MIG capacity is shared by every InferenceDeployment, so each reconcile asks
 * this service for the current {@link ClusterView}; it is computed under a lock from the informer caches, reused
 * while nothing changed, and a change of plan wakes up exactly the deployments whose part changed. Planning only
 * reads: the node loop ({@link GpuNodeReconciler}) takes the plan from {@link #forNode} and applies it to nodes, and
 * its reports come back through {@link #publish} into the views deployments read.
 */
@ApplicationScoped
public class ClusterPlanning {

    /** The informer caches planning reads, registered by the deployments' reconciler. */
    public record Sources(
            InformerEventSource<Pod, InferenceDeployment> pods,
            InformerEventSource<Node, InferenceDeployment> nodes,
            InformerEventSource<ConfigMap, InferenceDeployment> migConfig,
            InformerEventSource<ResourceSlice, InferenceDeployment> resourceSlices,
            InformerEventSource<ResourceClaim, InferenceDeployment> resourceClaims,
            PlanEventSource planEvents,
            IndexerResourceCache<InferenceDeployment> deployments) {}

    /** A plan made for a cluster with some deployments changed, applied or deleted: nothing of it is carried out. */
    public record WhatIf(PlanningInput input, Plan plan, PlanningSettings settings) {}

    /** What the node loop applies: the plan and what it was made from. */
    public record NodeInputs(Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now) {}

    private record Input(ClusterState state, List<Demand> demands, Set<String> releaseFirst) {}

    private record Computed(ClusterSnapshot snapshot, PlanningInput planning, Plan plan, Instant now) {}

    /** MIG Manager's mig-parted file as parsed from one version of its ConfigMap. */
    private record ParsedMigConfig(String uid, String resourceVersion, String key, ClusterSnapshot parsed) {}

    @Inject
    QuartetConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    SliceMetrics sliceMetrics;

    private MigPlanner planner;
    private PlanningSettings settings;
    private final Clock clock = Clock.systemUTC();
    private volatile Sources sources;
    private volatile NodeEventSource nodeEvents;
    private final Map<String, NodeProgress> reports = new ConcurrentHashMap<>();
    private Input lastInput;
    private Plan lastPlan;
    /** Replicas whose move is under way ({@link MovesInFlight}): a scale-down releases them first. */
    private Set<String> movesInFlight = Set.of();

    private volatile ClusterView lastView;
    /** The last pass computed from the caches alone, and when ({@link System#nanoTime}) it began reading them. */
    private Computed lastFromCaches;

    private long lastFromCachesStarted;
    private volatile ParsedMigConfig parsedMigConfig;
    /** Per node, the deployments the last plan placed there or found there; with the short ones. */
    private volatile Concerned concerned;

    private record Concerned(Map<String, Set<String>> byNode, Set<String> short_) {}

    private int lastPodsSeen;
    private String lastMigConfigVersion;

    @PostConstruct
    void createPlanner() {
        settings = new PlanningSettings(
                config.migManager().repartitionEnabled(),
                config.nodeLostAfter(),
                config.planner().idleGpuCoverMinSlices(),
                config.migManager().allowMigModeChange(),
                dev.quartet.inventory.NodeBackend.Choice.parse(config.backend()),
                dev.quartet.inventory.AgentReports.parse(
                        config.nodeAgent().reports(),
                        config.nodeAgent().podSelector(),
                        config.nodeAgent().podNamespace().orElse("")));
        planner = settings.planner();
    }

    /** The settings every pass plans with (the operator's configuration). */
    PlanningSettings settings() {
        return settings;
    }

    void attach(Sources sources) {
        this.sources = sources;
    }

    void attach(NodeEventSource nodeEvents) {
        this.nodeEvents = nodeEvents;
    }

    /**
     * The current view of the cluster as the informer caches have it. No writes.
     *
     * <p>Planning once per batch of events: every reconcile of a deployment or node needs the view, and at a few
     * hundred nodes building the snapshot and inventory costs far more than the reconcile itself. A caller that
     * asks while another pass is under way waits for the lock and then takes the pass that began after it asked:
     * that pass read the caches later than the event that woke the caller, so it is what the caller would have
     * computed itself. Only a caller that asked after the last pass began computes a new one.
     */
    public ClusterView view(ResourceID caller) {
        long asked = System.nanoTime();
        synchronized (this) {
            Sources s = Objects.requireNonNull(sources, "event sources not registered yet");
            return viewOf(fromCaches(s, asked, caller, null));
        }
    }

    /**
     * The view with {@code deployments} in place of the primary cache's (a deployment's own decision not yet
     * written back); always a new pass. No writes.
     */
    public synchronized ClusterView view(List<InferenceDeployment> deployments, ResourceID caller) {
        Sources s = Objects.requireNonNull(sources, "event sources not registered yet");
        return viewOf(compute(s, deployments, caller, null));
    }

    private ClusterView viewOf(Computed c) {
        Map<String, NodeProgress> progress = reportsFor(c.planning().inventory());
        ClusterView reuse = lastView;
        if (reuse != null
                && reuse.input() == c.planning()
                && reuse.nodeProgress().equals(progress)) {
            return reuse;
        }
        Map<String, List<Pod>> replicas = reuse != null && reuse.input() == c.planning()
                ? reuse.podsByDeployment()
                : ClusterView.groupReplicaPods(c.snapshot().pods());
        // The same plan object means the same planner input: what would fit its short deployments is the same.
        lastView = reuse != null && reuse.plan() == c.plan()
                ? new ClusterView(c.planning(), c.plan(), progress, replicas, c.now(), reuse.advice())
                : new ClusterView(c.planning(), c.plan(), progress, replicas, c.now(), settings);
        return lastView;
    }

    /** The pass that began after {@code asked}, or a new one from the caches (caller holds the lock). */
    private Computed fromCaches(Sources s, long asked, ResourceID caller, String callerNode) {
        if (lastFromCaches != null && lastFromCachesStarted - asked >= 0) {
            return lastFromCaches;
        }
        long started = System.nanoTime();
        Computed c = compute(s, s.deployments().list().toList(), caller, callerNode);
        lastFromCaches = c;
        lastFromCachesStarted = started;
        return c;
    }

    /**
     * The plan for the node loop's step on {@code node}; empty until every cache planning reads has synced (the node
     * loop may start before the deployments' controller: with an empty pod cache it would see drained GPUs).
     */
    public Optional<NodeInputs> forNode(String node) {
        long asked = System.nanoTime();
        synchronized (this) {
            return forNode(node, asked);
        }
    }

    private Optional<NodeInputs> forNode(String node, long asked) {
        Sources s = sources;
        if (s == null
                || !synced(s.pods())
                || !synced(s.nodes())
                || !synced(s.migConfig())
                || !synced(s.resourceSlices())
                || !synced(s.resourceClaims())
                || !synced(s.deployments())) {
            return Optional.empty();
        }
        Computed c = fromCaches(s, asked, null, node);
        return Optional.of(new NodeInputs(c.plan(), c.planning().inventory(), c.snapshot(), c.now()));
    }

    private static boolean synced(Object source) {
        return !(source instanceof ManagedInformerEventSource<?, ?, ?> informer)
                || (informer.isRunning()
                        && informer.informerHealthIndicators().values().stream()
                                .allMatch(InformerHealthIndicator::hasSynced));
    }

    /**
     * What the node loop reported for {@code node} (empty: nothing under way); the deployments whose status it
     * changes are woken.
     */
    public void publish(String node, Optional<NodeProgress> report) {
        NodeProgress before = report.isPresent() ? reports.put(node, report.get()) : reports.remove(node);
        if (Objects.equals(Optional.ofNullable(before), report)) {
            return;
        }
        Set<String> deployments = new TreeSet<>();
        Optional.ofNullable(before).ifPresent(p -> deployments.addAll(p.deployments()));
        report.ifPresent(p -> deployments.addAll(p.deployments()));
        synchronized (this) {
            if (lastPlan != null) {
                lastPlan.assignments().stream()
                        .filter(a -> a.node().equals(node))
                        .forEach(a -> deployments.add(a.demand()));
            }
            if (lastInput != null) {
                lastInput.state().nodes().stream()
                        .filter(n -> n.name().equals(node))
                        .flatMap(n -> n.gpus().stream())
                        .flatMap(g -> g.instances().stream())
                        .filter(i -> i.demand() != null)
                        .forEach(i -> deployments.add(i.demand()));
            }
        }
        Sources s = sources;
        if (s != null) {
            s.planEvents()
                    .fire(deployments.stream().map(ClusterPlanning::resourceId).toList());
        }
    }

    /**
     * The deployments a change of {@code node} may concern (see ClusterEventSources): those the last plan placed on
     * it or found running on it, and every one it left short, which that node may now hold. Empty before the first
     * pass. Takes no lock: the node informer asks it for every event.
     */
    Optional<Set<String>> concernedBy(String node) {
        Concerned c = concerned;
        if (c == null) {
            return Optional.empty();
        }
        Set<String> out = new HashSet<>(c.short_());
        out.addAll(c.byNode().getOrDefault(node, Set.of()));
        return Optional.of(out);
    }

    private static Concerned concerned(Plan plan, Input input) {
        Map<String, Set<String>> byNode = new HashMap<>();
        plan.assignments()
                .forEach(a ->
                        byNode.computeIfAbsent(a.node(), k -> new HashSet<>()).add(a.demand()));
        input.state()
                .nodes()
                .forEach(n -> n.gpus()
                        .forEach(g -> g.instances().stream()
                                .filter(i -> i.demand() != null)
                                .forEach(i -> byNode.computeIfAbsent(n.name(), k -> new HashSet<>())
                                        .add(i.demand()))));
        Set<String> short_ = new HashSet<>();
        plan.unsatisfied().forEach(u -> short_.add(u.demand()));
        return new Concerned(byNode, short_);
    }

    /** The node loop's reports of the nodes planning sees (lost nodes are left out). */
    private Map<String, NodeProgress> reportsFor(Inventory inventory) {
        Map<String, NodeProgress> out = new TreeMap<>();
        reports.forEach((node, p) -> {
            if (inventory.nodes().containsKey(node) && !inventory.lostNodes().contains(node)) {
                out.put(node, p);
            }
        });
        return out;
    }

    private Computed compute(Sources s, List<InferenceDeployment> deployments, ResourceID caller, String callerNode) {
        Instant now = Instant.now(clock);
        List<Pod> pods = s.pods().list(p -> true).toList();
        ClusterSnapshot snapshot = snapshot(s, pods);
        PlanningInput planning = PlanningInput.of(snapshot, deployments, settings, now);
        List<Demand> demands = planning.demandList();
        Set<String> releaseFirst = new TreeSet<>(planning.failing());
        releaseFirst.addAll(movesInFlight);
        Input input = new Input(planning.state(), demands, Set.copyOf(releaseFirst));
        Plan plan = lastPlan;
        Set<String> wake = new TreeSet<>();
        if (!input.equals(lastInput)) {
            Timer.Sample sample = Timer.start(registry);
            plan = planner.plan(input.state(), input.demands(), input.releaseFirst());
            sample.stop(registry.timer("quartet.plan.duration"));
            sliceMetrics.update(plan, planning.inventory());
            wakeChanged(lastPlan, plan, lastInput, input, caller);
            wake.addAll(nodesChanged(lastPlan, plan, lastInput, input));
            lastInput = input;
            lastPlan = plan;
            concerned = concerned(plan, input);
            movesInFlight = MovesInFlight.after(movesInFlight, plan);
            Log.debugf(
                    "planned %d demands on %d nodes: %d assignments, %d unsatisfied",
                    demands.size(),
                    planning.state().nodes().size(),
                    plan.assignments().size(),
                    plan.unsatisfied().size());
        }
        wake.addAll(nodesToFollow(plan, planning.inventory(), pods));
        if (callerNode != null) {
            wake.remove(callerNode);
        }
        NodeEventSource n = nodeEvents;
        if (n != null && !wake.isEmpty()) {
            n.fire(wake);
        }
        return new Computed(snapshot, planning, plan, now);
    }

    /**
     * When pods or MIG Manager's ConfigMap changed since the last pass: the nodes whose step may now go on (a drain
     * waits on pods; a node under way or wanted by the plan), and, for a ConfigMap change, every node (Quartet's
     * configs may have to be written back).
     */
    private Set<String> nodesToFollow(Plan plan, Inventory inventory, List<Pod> pods) {
        Set<String> nodes = new TreeSet<>();
        int podsSeen = pods.stream()
                .map(p -> p.getMetadata().getUid() + "@" + p.getMetadata().getResourceVersion())
                .toList()
                .hashCode();
        String migConfigVersion = migConfigVersion(sources);
        if (podsSeen != lastPodsSeen || !Objects.equals(migConfigVersion, lastMigConfigVersion)) {
            nodes.addAll(reports.keySet());
            plan.gpus().stream().filter(GpuPlan::repartition).forEach(g -> nodes.add(g.node()));
            pods.stream()
                    .filter(p -> plan.moved().contains(PodFacts.id(p)) && PodFacts.isBound(p))
                    .forEach(p -> nodes.add(PodFacts.node(p)));
        }
        if (!Objects.equals(migConfigVersion, lastMigConfigVersion)) {
            nodes.addAll(inventory.nodes().keySet());
        }
        lastPodsSeen = podsSeen;
        lastMigConfigVersion = migConfigVersion;
        return nodes;
    }

    private static String migConfigVersion(Sources s) {
        return s.migConfig()
                .list(c -> true)
                .findFirst()
                .map(c -> c.getMetadata().getResourceVersion())
                .orElse("");
    }

    /** Nodes whose part of the plan changed: their GPUs' layouts, the replicas planned there, the replicas moved off. */
    private static Set<String> nodesChanged(Plan before, Plan after, Input beforeInput, Input afterInput) {
        Map<String, List<Object>> old = nodeSignatures(before, beforeInput);
        Map<String, List<Object>> now = nodeSignatures(after, afterInput);
        Set<String> all = new TreeSet<>(old.keySet());
        all.addAll(now.keySet());
        Set<String> changed = new TreeSet<>();
        for (String n : all) {
            if (!Objects.equals(old.get(n), now.get(n))) {
                changed.add(n);
            }
        }
        return changed;
    }

    private static Map<String, List<Object>> nodeSignatures(Plan plan, Input input) {
        Map<String, List<Object>> sig = new HashMap<>();
        if (plan == null || input == null) {
            return sig;
        }
        Map<String, String> nodeOfReplica = new HashMap<>();
        input.state()
                .nodes()
                .forEach(n -> n.gpus()
                        .forEach(g -> g.instances().stream()
                                .filter(i -> i.replica() != null)
                                .forEach(i -> nodeOfReplica.put(i.replica(), n.name()))));
        plan.gpus()
                .forEach(g ->
                        sig.computeIfAbsent(g.node(), k -> new ArrayList<>()).add(g));
        plan.assignments()
                .forEach(a ->
                        sig.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(a));
        plan.moved().forEach(r -> {
            String n = nodeOfReplica.get(r);
            if (n != null) {
                sig.computeIfAbsent(n, k -> new ArrayList<>()).add("-" + r);
            }
        });
        return sig;
    }

    private ClusterSnapshot snapshot(Sources s, List<Pod> pods) {
        ConfigMap cm = s.migConfig().list(c -> true).findFirst().orElse(null);
        ClusterSnapshot snapshot = parsed(cm)
                .withNodesAndPods(s.nodes().list(n -> true).toList(), pods)
                .withDra(
                        s.resourceSlices().list(r -> true).toList(),
                        s.resourceClaims().list(r -> true).toList());
        if (snapshot.migConfigError() != null) {
            Log.warnf(
                    "MIG Manager config %s/%s is unreadable (%s); Quartet treats node layouts as unknown",
                    cm.getMetadata().getNamespace(), cm.getMetadata().getName(), snapshot.migConfigError());
        }
        return snapshot;
    }

    /**
     * MIG Manager's file parsed once per version of its ConfigMap: at a few hundred nodes it holds hundreds of
     * entries, and every pass reads it.
     */
    private ClusterSnapshot parsed(ConfigMap cm) {
        String key = config.migManager().configKey();
        String uid = cm == null ? null : cm.getMetadata().getUid();
        String version = cm == null ? null : cm.getMetadata().getResourceVersion();
        ParsedMigConfig memo = parsedMigConfig;
        if (memo != null
                && uid != null
                && version != null
                && uid.equals(memo.uid())
                && version.equals(memo.resourceVersion())
                && key.equals(memo.key())) {
            return memo.parsed();
        }
        ClusterSnapshot parsed = ClusterSnapshot.of(List.of(), List.of(), cm, key);
        parsedMigConfig = new ParsedMigConfig(uid, version, key, parsed);
        return parsed;
    }

    /** Fires a reconcile for every deployment (but the caller) whose assignments, moves or shortfall changed. */
    private void wakeChanged(Plan before, Plan after, Input beforeInput, Input afterInput, ResourceID caller) {
        Sources s = sources;
        if (s == null || before == null) {
            return;
        }
        Map<String, List<Object>> old = signatures(before, beforeInput);
        Map<String, List<Object>> now = signatures(after, afterInput);
        Set<String> changed = new HashSet<>();
        Set<String> all = new HashSet<>(old.keySet());
        all.addAll(now.keySet());
        for (String d : all) {
            if (!Objects.equals(old.get(d), now.get(d))) {
                changed.add(d);
            }
        }
        List<ResourceID> ids = new ArrayList<>();
        for (String d : changed) {
            ResourceID id = resourceId(d);
            if (!id.equals(caller)) {
                ids.add(id);
            }
        }
        s.planEvents().fire(ids);
    }

    static ResourceID resourceId(String deployment) {
        int slash = deployment.indexOf('/');
        return new ResourceID(deployment.substring(slash + 1), deployment.substring(0, slash));
    }

    private static Map<String, List<Object>> signatures(Plan plan, Input input) {
        Map<String, String> demandOfReplica = new HashMap<>();
        input.state()
                .nodes()
                .forEach(n -> n.gpus()
                        .forEach(g -> g.instances().stream()
                                .filter(i -> i.demand() != null)
                                .forEach(i -> demandOfReplica.put(i.replica(), i.demand()))));
        Map<String, List<Object>> sig = new HashMap<>();
        input.demands().forEach(d -> sig.computeIfAbsent(d.name(), k -> new ArrayList<>()));
        plan.assignments()
                .forEach(a ->
                        sig.computeIfAbsent(a.demand(), k -> new ArrayList<>()).add(a));
        plan.unsatisfied()
                .forEach(u ->
                        sig.computeIfAbsent(u.demand(), k -> new ArrayList<>()).add(u));
        List<String> gone = new ArrayList<>(plan.released());
        gone.addAll(plan.moved());
        for (String r : gone) {
            String d = demandOfReplica.get(r);
            if (d != null) {
                sig.computeIfAbsent(d, k -> new ArrayList<>()).add("-" + r);
            }
        }
        return sig;
    }

    /**
     * The plan for the cluster as the informer caches have it, with {@code applied} created or replacing their
     * namesakes and the deployments {@code deleted} ({@code ns/name}) gone: what the admission webhook checks a spec
     * against. Nothing of it is carried out, and it changes nothing the reconciles see. Empty until the caches are
     * registered.
     */
    public Optional<WhatIf> whatIf(Collection<InferenceDeployment> applied, Collection<String> deleted) {
        Sources s = sources;
        if (s == null) {
            return Optional.empty();
        }
        List<Pod> pods = s.pods().list(p -> true).toList();
        ClusterSnapshot snapshot = PlanningInput.withoutReplicasOf(snapshot(s, pods), deleted);
        List<InferenceDeployment> deployments =
                PlanningInput.withChanges(s.deployments().list().toList(), applied, deleted);
        PlanningInput input = PlanningInput.of(snapshot, deployments, settings, Instant.now(clock));
        return Optional.of(new WhatIf(input, input.plan(planner), settings));
    }

    /** How old the last pass may be for {@link #fitsInLastPlan}: a pass runs on every change the caches see. */
    static final Duration QUICK_FIT_MAX_AGE = Duration.ofSeconds(10);

    /**
     * Whether the new deployment {@code d} certainly fits in what the last pass's plan leaves free ({@link
     * dev.quartet.preview.QuickFit}), without planning: the admission webhook's answer for most creates. False when
     * unsure (no recent pass, {@code d} already known, too little room): then the webhook plans with {@link
     * #whatIf}. Deployments the last pass did not see, or saw with another spec or replica count, count against the
     * room. Takes no lock.
     */
    public boolean fitsInLastPlan(InferenceDeployment d) {
        ClusterView v = lastView;
        Sources s = sources;
        if (v == null || s == null || v.at().isBefore(Instant.now(clock).minus(QUICK_FIT_MAX_AGE))) {
            return false;
        }
        String id = DemandFactory.id(d);
        if (v.input().deployments().containsKey(id)) {
            return false;
        }
        int unplanned = 0;
        for (InferenceDeployment x : s.deployments().list().toList()) {
            String other = DemandFactory.id(x);
            InferenceDeployment known = v.input().deployments().get(other);
            if (!other.equals(id)
                    && (known == null
                            || !Objects.equals(
                                    known.getMetadata().getGeneration(),
                                    x.getMetadata().getGeneration())
                            || ReplicaTarget.of(known) != ReplicaTarget.of(x))) {
                unplanned += ReplicaTarget.of(x);
            }
        }
        Demand demand = DemandFactory.demand(d, v.input().inventory().nodes().values());
        return QuickFit.fits(demand, v.input(), v.plan(), unplanned);
    }

    /** The last computed view, for metrics and debugging; null before the first reconcile. */
    public synchronized ClusterView lastView() {
        return lastView;
    }
}
