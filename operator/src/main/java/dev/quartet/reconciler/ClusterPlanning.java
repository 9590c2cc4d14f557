package dev.quartet.reconciler;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.node.MigBackend;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.PlanningSettings;
import dev.quartet.status.NodeProgress;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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
            PlanEventSource planEvents,
            IndexerResourceCache<InferenceDeployment> deployments) {}

    /** A plan made for a cluster with some deployments changed, applied or deleted: nothing of it is carried out. */
    public record WhatIf(PlanningInput input, Plan plan, PlanningSettings settings) {}

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
    private PlanningSettings settings;
    private final Clock clock = Clock.systemUTC();
    private volatile Sources sources;
    private Input lastInput;
    private Plan lastPlan;
    private ClusterView lastView;

    @PostConstruct
    void createPlanner() {
        settings = new PlanningSettings(
                config.migManager().repartitionEnabled(),
                config.nodeLostAfter(),
                config.planner().idleGpuCoverMinSlices());
        planner = settings.planner();
    }

    void attach(Sources sources) {
        this.sources = sources;
    }

    /** Whether a deployment's replicas are planned ({@link PlanningInput#plannable}). */
    static boolean plannable(InferenceDeployment d) {
        return PlanningInput.plannable(d);
    }

    /** Replica pods that are failing (not Ready after a restart): a scale-down releases them before healthy ones. */
    static Set<String> failing(List<Pod> pods) {
        return PlanningInput.failing(pods);
    }

    /** The current view; {@code deployments} is every InferenceDeployment in the primary cache. */
    public synchronized ClusterView view(List<InferenceDeployment> deployments, ResourceID caller) {
        Sources s = Objects.requireNonNull(sources, "event sources not registered yet");
        Instant now = Instant.now(clock);
        List<Pod> pods = s.pods().list(p -> true).toList();
        ClusterSnapshot snapshot = snapshot(s, pods);
        PlanningInput planning = PlanningInput.of(snapshot, deployments, settings, now);
        List<Demand> demands = planning.demandList();
        Input input = new Input(planning.state(), demands, planning.failing());
        Plan plan = lastPlan;
        if (!input.equals(lastInput)) {
            Timer.Sample sample = Timer.start(registry);
            plan = planner.plan(input.state(), input.demands(), input.failing());
            sample.stop(registry.timer("quartet.plan.duration"));
            sliceMetrics.update(plan, planning.inventory());
            wakeChanged(lastPlan, plan, lastInput, input, caller);
            lastInput = input;
            lastPlan = plan;
            Log.debugf(
                    "planned %d demands on %d nodes: %d assignments, %d unsatisfied",
                    demands.size(),
                    planning.state().nodes().size(),
                    plan.assignments().size(),
                    plan.unsatisfied().size());
        }
        Map<String, NodeProgress> progress = backend.reconcile(plan, planning.inventory(), snapshot, now);
        ClusterView reuse = lastView;
        Map<String, List<Pod>> replicas = ClusterView.groupReplicaPods(pods);
        // The same plan object means the same planner input: what would fit its short deployments is the same.
        lastView = reuse != null && reuse.plan() == plan
                ? new ClusterView(planning, plan, progress, replicas, now, reuse.advice())
                : new ClusterView(planning, plan, progress, replicas, now, settings);
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

    /** The last computed view, for metrics and debugging; null before the first reconcile. */
    public synchronized ClusterView lastView() {
        return lastView;
    }
}
