package dev.quartet.reconciler;

import dev.quartet.config.QuartetConfig;
import dev.quartet.demand.DemandFactory;
import dev.quartet.demand.SpecValidator;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.node.MigBackend;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import dev.quartet.status.ConditionTypes;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The one cluster-wide planning step. MIG capacity is shared by every InferenceDeployment, so each reconcile asks
 * this service for the current {@link ClusterView}; it is computed under a lock from the informer caches, reused
 * while nothing changed, and a change of plan wakes up exactly the deployments whose part changed.
 */
@ApplicationScoped
public class ClusterPlanning {

    /** The informer caches planning reads, registered by the reconciler. */
    public record Sources(
            InformerEventSource<Pod, InferenceDeployment> pods,
            InformerEventSource<Node, InferenceDeployment> nodes,
            InformerEventSource<ConfigMap, InferenceDeployment> migConfig,
            PlanEventSource planEvents) {}

    private record Input(ClusterState state, List<Demand> demands, Set<String> failing) {}

    @Inject
    QuartetConfig config;

    @Inject
    MigBackend backend;

    @Inject
    MeterRegistry registry;

    @Inject
    SliceMetrics sliceMetrics;

    private MigPlanner planner;
    private final Clock clock = Clock.systemUTC();
    private volatile Sources sources;
    private Input lastInput;
    private Plan lastPlan;
    private ClusterView lastView;

    @PostConstruct
    void createPlanner() {
        planner = new MigPlanner(new MigPlanner.Options(config.planner().idleGpuCoverMinSlices()));
    }

    void attach(Sources sources) {
        this.sources = sources;
    }

    /**
     * Whether a deployment's replicas are planned: not being deleted, a valid name and spec, and not stopped by a
     * Service or PodDisruptionBudget of its name it does not own ({@code NameConflict}: it creates nothing until
     * that is gone, so it must not hold slices, or have others' replicas evicted, for replicas it will not create;
     * its reconcile, at least once a minute, clears the condition once the name is free).
     */
    static boolean plannable(InferenceDeployment d) {
        if (d.getMetadata().getDeletionTimestamp() != null
                || !SpecValidator.validateDeployment(d).isEmpty()) {
            return false;
        }
        return d.getStatus() == null
                || d.getStatus().getConditions() == null
                || d.getStatus().getConditions().stream()
                        .noneMatch(c -> ConditionTypes.DEGRADED.equals(c.getType())
                                && "True".equals(c.getStatus())
                                && Reasons.NAME_CONFLICT.equals(c.getReason()));
    }

    /** Replica pods that are failing (not Ready after a restart): a scale-down releases them before healthy ones. */
    static Set<String> failing(List<Pod> pods) {
        return pods.stream()
                .filter(p -> InventoryBuilder.deploymentOf(p) != null && PodFacts.isFailing(p))
                .map(PodFacts::id)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The current view; {@code deployments} is every InferenceDeployment in the primary cache. */
    public synchronized ClusterView view(List<InferenceDeployment> deployments, ResourceID caller) {
        Sources s = Objects.requireNonNull(sources, "event sources not registered yet");
        Instant now = Instant.now(clock);
        List<Pod> pods = s.pods().list(p -> true).toList();
        ClusterSnapshot snapshot = snapshot(s, pods);
        List<GpuNode> gpuNodes = snapshot.nodes().stream()
                .map(GpuNode::from)
                .flatMap(Optional::stream)
                .toList();
        List<Demand> demands = deployments.stream()
                .filter(ClusterPlanning::plannable)
                .sorted(Comparator.comparing(DemandFactory::id))
                .map(d -> DemandFactory.demand(d, gpuNodes))
                .toList();
        Map<String, Demand> byId = new TreeMap<>();
        demands.forEach(d -> byId.put(d.name(), d));
        Inventory inventory = new InventoryBuilder(config.migManager().repartitionEnabled(), config.nodeLostAfter())
                .build(snapshot, new InventoryBuilder.Owners(byId), now);
        Input input = new Input(inventory.state(), demands, failing(pods));
        Plan plan = lastPlan;
        if (!input.equals(lastInput)) {
            Timer.Sample sample = Timer.start(registry);
            plan = planner.plan(input.state(), input.demands(), input.failing());
            sample.stop(registry.timer("quartet.plan.duration"));
            sliceMetrics.update(plan, inventory);
            wakeChanged(lastPlan, plan, lastInput, input, caller);
            lastInput = input;
            lastPlan = plan;
            Log.debugf(
                    "planned %d demands on %d nodes: %d assignments, %d unsatisfied",
                    demands.size(),
                    inventory.state().nodes().size(),
                    plan.assignments().size(),
                    plan.unsatisfied().size());
        }
        Map<String, NodeProgress> progress = backend.reconcile(plan, inventory, snapshot, now);
        lastView = new ClusterView(byId, plan, inventory, progress, ClusterView.groupReplicaPods(pods), now);
        return lastView;
    }

    private ClusterSnapshot snapshot(Sources s, List<Pod> pods) {
        ConfigMap cm = s.migConfig().list(c -> true).findFirst().orElse(null);
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                s.nodes().list(n -> true).toList(),
                pods,
                cm,
                config.migManager().configKey());
        if (snapshot.migConfigError() != null) {
            Log.warnf(
                    "MIG Manager config %s/%s is unreadable (%s); Quartet treats node layouts as unknown",
                    cm.getMetadata().getNamespace(), cm.getMetadata().getName(), snapshot.migConfigError());
        }
        return snapshot;
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
            int slash = d.indexOf('/');
            ResourceID id = new ResourceID(d.substring(slash + 1), d.substring(0, slash));
            if (!id.equals(caller)) {
                ids.add(id);
            }
        }
        s.planEvents().fire(ids);
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

    /** The last computed view, for metrics and debugging; null before the first reconcile. */
    public synchronized ClusterView lastView() {
        return lastView;
    }
}
