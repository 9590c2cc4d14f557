package dev.quartet.reconciler;

import dev.quartet.config.FieldManager;
import dev.quartet.node.MigBackend;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import io.quarkus.logging.Log;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The node loop: one reconcile per MIG-capable node ({@code nvidia.com/mig.capable=true}), which takes the current
 * cluster-wide plan from {@link ClusterPlanning} and moves that node one step towards it through {@link MigBackend}
 * (stage, drain, select, follow MIG Manager, verify, roll back). Its report goes to exactly the deployments the
 * node's change affects. JOSDK runs one reconcile of a node at a time, retries a failed step with back-off, and runs
 * the loop only on the leader.
 */
@ControllerConfiguration(
        name = GpuNodeReconciler.NAME,
        fieldManager = FieldManager.NAME,
        generationAwareEventProcessing = false,
        informer =
                @Informer(
                        labelSelector = NvidiaLabels.MIG_CAPABLE + "=true",
                        onUpdateFilter = GpuNodeReconciler.NodeChange.class),
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 60))
@GradualRetry(maxAttempts = -1, maxInterval = 60_000)
public class GpuNodeReconciler implements Reconciler<Node> {

    static final String NAME = "gpunode";
    /** How long to wait for the caches planning reads before a first step (they sync with the other controller). */
    static final Duration CACHES_NOT_READY = Duration.ofSeconds(1);

    private static final Duration SOONEST = Duration.ofSeconds(1);

    @Inject
    ClusterPlanning planning;

    @Inject
    MigBackend backend;

    @Inject
    EventRecorder events;

    /** Heartbeats change a node every few seconds; only what planning reads wakes the loop. */
    public static class NodeChange implements OnUpdateFilter<Node> {
        @Override
        public boolean accept(Node now, Node before) {
            return ClusterEventSources.nodeChangeMatters(now, before);
        }
    }

    @Override
    public List<EventSource<?, Node>> prepareEventSources(EventSourceContext<Node> context) {
        NodeEventSource wakeUps = new NodeEventSource();
        planning.attach(wakeUps);
        return List.of(wakeUps);
    }

    @Override
    public UpdateControl<Node> reconcile(Node node, Context<Node> context) {
        String name = node.getMetadata().getName();
        Optional<ClusterPlanning.NodeInputs> in = planning.forNode(name);
        if (in.isEmpty()) {
            return UpdateControl.<Node>noUpdate().rescheduleAfter(CACHES_NOT_READY);
        }
        MigBackend.Report report = backend.reconcileNode(
                name,
                in.get().plan(),
                in.get().inventory(),
                in.get().snapshot(),
                in.get().now());
        planning.publish(name, report.progress());
        UpdateControl<Node> control = UpdateControl.noUpdate();
        return report.recheckAfter()
                .map(d -> control.rescheduleAfter(d.compareTo(SOONEST) < 0 ? SOONEST : d))
                .orElse(control);
    }

    /**
     * A step the API server refused is a node Event and a condition of the deployments its change affects, never a
     * failure of whichever deployment happened to be reconciling; JOSDK retries it with back-off.
     */
    @Override
    public ErrorStatusUpdateControl<Node> updateErrorStatus(Node node, Context<Node> context, Exception e) {
        String name = node.getMetadata().getName();
        Throwable cause = e;
        while (cause != null && !(cause instanceof MigBackend.StepFailed)) {
            cause = cause.getCause() == cause ? null : cause.getCause();
        }
        if (cause instanceof MigBackend.StepFailed failed) {
            Log.warnf("node %s: %s", name, failed.report().message());
            planning.publish(name, Optional.of(failed.report()));
            events.warning(
                    node, Reasons.REPARTITION_STEP_FAILED, failed.report().message());
        } else {
            Log.warnf(e, "node %s: the node loop failed: %s", name, e.getMessage());
        }
        return ErrorStatusUpdateControl.noStatusUpdate();
    }
}
