package dev.quartet.reconciler;

import dev.quartet.config.FieldManager;
import dev.quartet.config.QuartetConfig;
import dev.quartet.demand.DemandFactory;
import dev.quartet.demand.SpecValidator;
import dev.quartet.dependent.InferenceDeploymentPodDisruptionBudgetDependentResource;
import dev.quartet.dependent.InferenceDeploymentServiceDependentResource;
import dev.quartet.dependent.NameTakenException;
import dev.quartet.inventory.PodFacts;
import dev.quartet.model.AutoscalingStatus;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentStatus;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.preview.FitAdvisor;
import dev.quartet.status.AutoscalingReport;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.Reasons;
import dev.quartet.status.RolloutProgress;
import dev.quartet.status.StatusBuilder;
import dev.quartet.status.StatusInputs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reconciles one InferenceDeployment: observe (the shared cluster view), take its part of the cluster-wide
 * plan, apply it to replica pods, Service and budget, and report status. Thin on purpose: planning lives in
 * {@link ClusterPlanning}, pods in {@link ReplicaActuator}, conditions in {@link StatusBuilder}.
 */
@ControllerConfiguration(
        name = "inferencedeployment",
        fieldManager = FieldManager.NAME,
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 60))
@Workflow(
        explicitInvocation = true,
        dependents = {
            @Dependent(type = InferenceDeploymentServiceDependentResource.class),
            @Dependent(type = InferenceDeploymentPodDisruptionBudgetDependentResource.class)
        })
public class InferenceDeploymentReconciler implements Reconciler<InferenceDeployment> {

    static final Duration WHILE_PROGRESSING = Duration.ofSeconds(5);
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Inject
    ClusterPlanning planning;

    @Inject
    ReplicaActuator actuator;

    @Inject
    EventRecorder events;

    @Inject
    QuartetConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    LoadAutoscaler autoscaler;

    private volatile InformerEventSource<HorizontalPodAutoscaler, InferenceDeployment> autoscalers;

    private final StatusBuilder statusBuilder = new StatusBuilder(Clock.systemUTC());

    @Override
    public List<EventSource<?, InferenceDeployment>> prepareEventSources(
            EventSourceContext<InferenceDeployment> context) {
        ClusterEventSources sources = new ClusterEventSources(
                context,
                config.migManager(),
                planning::concernedBy,
                planning.settings().agentReports());
        planning.attach(new ClusterPlanning.Sources(
                sources.pods(),
                sources.nodes(),
                sources.migConfig(),
                sources.resourceSlices(),
                sources.resourceClaims(),
                sources.planEvents(),
                context.getPrimaryCache()));
        autoscalers = sources.autoscalers();
        return List.of(
                sources.pods(),
                sources.nodes(),
                sources.migConfig(),
                sources.resourceSlices(),
                sources.resourceClaims(),
                sources.planEvents(),
                sources.autoscalers());
    }

    @Override
    public UpdateControl<InferenceDeployment> reconcile(InferenceDeployment d, Context<InferenceDeployment> context) {
        Timer.Sample sample = Timer.start(registry);
        String outcome = "error";
        try {
            UpdateControl<InferenceDeployment> control = reconcileTimed(d, context);
            outcome = control.isNoUpdate() ? "unchanged" : "status";
            return control;
        } finally {
            sample.stop(registry.timer("quartet.reconcile", "outcome", outcome));
        }
    }

    private UpdateControl<InferenceDeployment> reconcileTimed(
            InferenceDeployment d, Context<InferenceDeployment> context) {
        String id = DemandFactory.id(d);
        List<String> problems = SpecValidator.validateDeployment(d);
        List<InferenceDeployment> deployments = context.getPrimaryCache().list().toList();
        ClusterView view = planning.view(ResourceID.fromResource(d));
        List<Pod> pods = view.podsOf(id);
        Optional<AutoscalingReport> autoscaling = Optional.empty();
        if (problems.isEmpty() && d.getSpec().getAutoscaling() != null) {
            AutoscalingReport report = autoscaler.decide(d, pods, conflictingHpa(d), Instant.now());
            autoscaling = Optional.of(report);
            int before = ReplicaTarget.of(d);
            if (report.desired() != before) {
                events.normal(
                        d,
                        report.desired() > before ? Reasons.SCALED_UP : Reasons.SCALED_DOWN,
                        "desired replicas " + before + " -> " + report.desired() + ": " + report.load());
                // Plan with the new count now; the status patch below gives it to every other reconcile.
                view = planning.view(withDecision(deployments, d, report.decision()), ResourceID.fromResource(d));
                pods = view.podsOf(id);
            }
        }
        autoscaler.retain(deployments.stream()
                .filter(x -> x.getSpec() != null && x.getSpec().getAutoscaling() != null)
                .map(DemandFactory::id)
                .collect(Collectors.toSet()));
        String endpoint = InferenceDeploymentServiceDependentResource.endpoint(d, config.worker());
        StatusInputs inputs;
        if (!problems.isEmpty()) {
            Log.warnf("%s: invalid spec, nothing done: %s", id, problems);
            events.warning(d, "InvalidSpec", "The spec is invalid, so nothing is done: " + String.join("; ", problems));
            inputs = new StatusInputs(
                    problems,
                    pods,
                    null,
                    Optional.empty(),
                    Optional.empty(),
                    Map.of(),
                    Set.of(),
                    RolloutProgress.NONE,
                    false,
                    endpoint);
        } else {
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            Set<String> replicaIds = pods.stream().map(PodFacts::id).collect(Collectors.toSet());
            DeploymentPart part = DeploymentPart.of(view.plan(), id, replicaIds);
            ClusterView planned = view;
            ReplicaActions actions = actuator.apply(d, part, view);
            inputs = new StatusInputs(
                    List.of(),
                    pods,
                    null,
                    part.profile()
                            .or(() -> Optional.ofNullable(d.getSpec().getSlice().getProfile())),
                    part.unsatisfied(),
                    relevantNodes(view, part, pods, actions),
                    new HashSet<>(actions.waitingOnNodes()),
                    actions.rollout(),
                    actions.changedSomething(),
                    endpoint,
                    autoscaling.isPresent() ? List.of() : view.wouldFit(id),
                    part.unsatisfied().flatMap(u -> FitAdvisor.unofferedCapacity(planned.input(), id)),
                    autoscaling);
        }
        InferenceDeploymentStatus status = statusBuilder.build(
                d,
                inputs.withClaimedSlices(view.inventory().claimedSlices())
                        .withPessimisticPins(view.inventory().pessimisticNotes(inputs.pods(), 3)));
        if (inputs.shortfallWithinAutoscaling()) {
            // Without the load figures, which change at every reading: one Event per change of the counts.
            events.normal(
                    d,
                    Reasons.SCALE_LIMITED_BY_SLICES,
                    "the load wants " + status.getAutoscaling().getDesiredReplicas() + " replicas; the cluster's slices"
                            + " give " + status.getAutoscaling().getGrantedReplicas() + " ("
                            + inputs.unsatisfied().get().reason() + ")");
        } else {
            inputs.unsatisfied().ifPresent(u -> {
                StatusBuilder.Shortfall event = StatusBuilder.shortfall(status, u, ReplicaTarget.of(d));
                events.warning(d, event.reason(), event.message());
            });
        }
        boolean settled = status.getConditions().stream()
                .noneMatch(c -> "Progressing".equals(c.getType()) && "True".equals(c.getStatus()));
        UpdateControl<InferenceDeployment> control;
        if (status.equals(d.getStatus())) {
            control = UpdateControl.noUpdate();
        } else {
            d.setStatus(status);
            control = UpdateControl.patchStatus(d);
        }
        // A node that stopped being Ready counts as lost only nodeLostAfter later, and nothing else happens then (its
        // kubelet writes nothing more): look again at that moment, so its replicas are replaced without waiting for an
        // unrelated event.
        Optional<Duration> lost = view.inventory()
                .untilNextNodeLost(config.nodeLostAfter(), view.at())
                .map(wait -> wait.plusSeconds(1));
        Optional<Duration> again = settled
                ? lost
                : Optional.of(
                        lost.filter(l -> l.compareTo(WHILE_PROGRESSING) < 0).orElse(WHILE_PROGRESSING));
        if (autoscaling.isPresent()) {
            // An autoscaled deployment is looked at again by its next metrics read too, whichever comes first.
            Duration read = autoscaler.untilNextRead(id, Instant.now());
            Duration next = again.filter(a -> a.compareTo(read) < 0).orElse(read);
            return control.rescheduleAfter(next.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : next);
        }
        return again.map(control::rescheduleAfter).orElse(control);
    }

    /** An HorizontalPodAutoscaler of the deployment's namespace whose scale target is the deployment, by name. */
    private Optional<String> conflictingHpa(InferenceDeployment d) {
        var source = autoscalers;
        if (source == null) {
            return Optional.empty();
        }
        return source.list(
                        d.getMetadata().getNamespace(),
                        hpa -> d.getMetadata().getName().equals(ClusterEventSources.targetOf(hpa)))
                .map(hpa -> hpa.getMetadata().getName())
                .sorted()
                .findFirst();
    }

    /**
     * {@code deployments} with {@code d} carrying the autoscaler's new decision in its status (a copy: the cached
     * object and the reconcile's own stay as read, so the status patch still sees what changed).
     */
    static List<InferenceDeployment> withDecision(
            List<InferenceDeployment> deployments, InferenceDeployment d, AutoscalingStatus decision) {
        InferenceDeployment copy = SERIALIZATION.clone(d);
        if (copy.getStatus() == null) {
            copy.setStatus(new InferenceDeploymentStatus());
        }
        copy.getStatus().setAutoscaling(decision);
        ResourceID self = ResourceID.fromResource(d);
        return deployments.stream()
                .map(x -> ResourceID.fromResource(x).equals(self) ? copy : x)
                .toList();
    }

    /**
     * A reconcile that threw (an API call refused, a child's name taken) says so in Degraded, with the API
     * server's own message; JOSDK retries with back-off as usual.
     */
    @Override
    public ErrorStatusUpdateControl<InferenceDeployment> updateErrorStatus(
            InferenceDeployment d, Context<InferenceDeployment> context, Exception e) {
        Throwable cause = rootCause(e);
        String reason = cause instanceof NameTakenException ? Reasons.NAME_CONFLICT : Reasons.RECONCILE_FAILED;
        String message = cause instanceof KubernetesClientException k
                        && k.getStatus() != null
                        && k.getStatus().getMessage() != null
                ? k.getStatus().getMessage()
                : String.valueOf(cause.getMessage());
        Log.warnf("%s: reconcile failed (%s): %s", DemandFactory.id(d), reason, message);
        events.warning(d, reason, message);
        d.setStatus(statusBuilder.failed(d, reason, message));
        return ErrorStatusUpdateControl.patchStatus(d);
    }

    /** The exception that says what went wrong: inside a workflow's aggregate, the first dependent's, unwrapped. */
    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (!(cause instanceof NameTakenException) && !(cause instanceof KubernetesClientException)) {
            if (cause instanceof AggregatedOperatorException agg
                    && !agg.getAggregatedExceptions().isEmpty()) {
                cause = agg.getAggregatedExceptions().values().iterator().next();
            } else if (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            } else {
                break;
            }
        }
        return cause;
    }

    /** Progress of the nodes this deployment waits on or is being moved from. */
    private static Map<String, NodeProgress> relevantNodes(
            ClusterView view, DeploymentPart part, List<Pod> pods, ReplicaActions actions) {
        Set<String> nodes = new HashSet<>(part.newByNode().keySet());
        nodes.addAll(actions.waitingOnNodes());
        pods.stream()
                .filter(p -> part.moved().contains(PodFacts.id(p)) && PodFacts.isBound(p))
                .forEach(p -> nodes.add(PodFacts.node(p)));
        view.nodeProgress().values().stream()
                .filter(p -> p.deployments().contains(part.deployment()))
                .forEach(p -> nodes.add(p.node()));
        Map<String, NodeProgress> out = new TreeMap<>();
        nodes.forEach(n -> {
            NodeProgress p = view.nodeProgress().get(n);
            if (p != null) {
                out.put(n, p);
            }
        });
        return out;
    }
}
