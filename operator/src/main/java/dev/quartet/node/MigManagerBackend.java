package dev.quartet.node;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.node.NodeObserver.Observed;
import dev.quartet.node.NodeTransitions.Transition;
import dev.quartet.planner.Plan;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.NodeProgress.Phase;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.logging.Log;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Drives NVIDIA MIG Manager for one node per call: observe the node ({@link NodeObserver}), decide its next step
 * ({@link NodeTransitions}, pure), carry it out ({@link NodeActionExecutor}). For a node whose planned layout differs
 * from its current one, that is: stage a content-named config in the mig-parted ConfigMap, drain the GPUs that change
 * (movable replicas only, replacements first, through the Eviction API), select the config with
 * {@code nvidia.com/mig.config}, follow {@code nvidia.com/mig.config.state}, check the node's real layout after
 * {@code success}, and roll back on failure, timeout or a layout that does not show. Everything it needs to resume
 * lives on the node (labels, annotations) and in the ConfigMap.
 */
@ApplicationScoped
public class MigManagerBackend implements MigBackend {

    @Inject
    KubernetesClient client;

    @Inject
    QuartetConfig config;

    @Inject
    EventRecorder events;

    private NodeObserver observer;
    private NodeActionExecutor executor;

    @PostConstruct
    void init() {
        MigConfigStore store = new MigConfigStore(client, config.migManager());
        observer = new NodeObserver(config.migManager(), store);
        executor = new NodeActionExecutor(client, config.migManager(), store, new ReplicaEvictor(client), events);
    }

    @Override
    public Report reconcileNode(String name, Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now) {
        Optional<Observed> seen = observer.observe(name, plan, inventory, snapshot, now);
        Node ref = snapshot.nodes().stream()
                .filter(n -> n.getMetadata().getName().equals(name))
                .findFirst()
                .orElse(null);
        if (seen.isEmpty() || ref == null) {
            return Report.NOTHING;
        }
        Observed o = seen.get();
        List<NodeAction> actions;
        Transition t;
        if (inventory.lostNodes().contains(name)) {
            // A lost node is left as it is (MIG Manager cannot act there); only a staged config is forgotten.
            t = null;
            actions = o.observation().records().staged() == null ? List.of() : List.of(new NodeAction.DropStaged());
        } else {
            t = NodeTransitions.next(o.stage(), o.observation());
            actions = t.actions();
            if (t.next() != o.stage() || !actions.isEmpty()) {
                Log.debugf("node %s: %s -> %s: %s", name, o.stage(), t.next(), t.summaries());
            }
        }
        Optional<NodeActionExecutor.Refusal> refusal;
        try {
            refusal = executor.execute(o.node(), ref, actions, inventory.lostNodes(), now);
        } catch (KubernetesClientException e) {
            String message = "a step of the repartition of node " + name + " failed ("
                    + (t == null ? o.stage() : o.stage() + " -> " + t.next()) + "): " + apiMessage(e)
                    + "; Quartet retries with back-off";
            throw new StepFailed(
                    new NodeProgress(
                            name,
                            Phase.FAILED,
                            Reasons.REPARTITION_STEP_FAILED,
                            message,
                            o.observation().changingGpus(),
                            o.observation().affected()),
                    e);
        }
        if (t == null) {
            return Report.NOTHING;
        }
        if (refusal.isPresent()) {
            NodeActionExecutor.Refusal r = refusal.get();
            return new Report(
                    Optional.of(new NodeProgress(
                            name,
                            r.phase(),
                            r.reason(),
                            r.message(),
                            o.observation().changingGpus(),
                            o.observation().affected())),
                    Optional.of(NodeTransitions.POLL));
        }
        return new Report(t.report(), t.recheck());
    }

    private static String apiMessage(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : String.valueOf(e.getMessage());
    }
}
