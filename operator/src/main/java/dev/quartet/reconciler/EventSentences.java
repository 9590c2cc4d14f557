package dev.quartet.reconciler;

import dev.quartet.inventory.NodeReadiness;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.NodeState;
import dev.quartet.preview.Layouts;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Optional;

/**
 * What a deployment's Events say, in sentences that name the replica, the node and the GPU, so that
 * {@code kubectl describe infd} tells what happened without the operator's log.
 */
final class EventSentences {

    private EventSentences() {}

    /** A replica created on a node, for the slice the plan gave it ({@code planned} may be null). */
    static String placed(String replica, String profile, String node, Assignment planned) {
        return "Created replica " + replica + " for a " + profile + " slice on node " + node
                + (planned == null
                        ? ""
                        : ", planned on GPU " + planned.gpu() + " at slot " + planned.start()
                                + " (the device plugin picks the slice)")
                + ".";
    }

    /** A replica deleted, with where it ran and why. */
    static String removed(Pod pod, String why) {
        Optional<ReplicaSlice> slice = ReplicaSlice.of(pod);
        String where = PodFacts.isBound(pod)
                ? " from node " + PodFacts.node(pod)
                        + slice.map(s -> ", GPU " + s.gpu() + " (" + s.profile() + " at slot " + s.start() + ")")
                                .orElse("")
                : " before it reached a node";
        return "Removed replica " + pod.getMetadata().getName() + where + ": " + why + ".";
    }

    /**
     * New replicas planned on {@code node} wait: which of its GPUs MIG Manager repartitions for them (old layout to
     * new), or why else the node takes no new pods now.
     */
    static String waitingFor(ClusterView view, String node) {
        List<GpuPlan> changing = view.plan().gpus().stream()
                .filter(g -> g.node().equals(node) && g.repartition())
                .toList();
        NodeReadiness readiness = view.inventory().readiness().get(node);
        StringBuilder text = new StringBuilder("New replicas wait for node " + node);
        if (!changing.isEmpty()) {
            text.append(": MIG Manager repartitions ");
            for (int i = 0; i < changing.size(); i++) {
                GpuPlan g = changing.get(i);
                text.append(i == 0 ? "" : ", ")
                        .append("GPU ")
                        .append(g.index())
                        .append(" from ")
                        .append(current(view, node, g.index()))
                        .append(" to ")
                        .append(Layouts.describe(g.layout()));
            }
        } else {
            text.append(", which takes no new pods now");
        }
        if (readiness != null && readiness != NodeReadiness.READY) {
            text.append(" (")
                    .append(readiness)
                    .append(Optional.ofNullable(view.inventory().notes().get(node))
                            .map(n -> ": " + n)
                            .orElse(""))
                    .append(")");
        }
        return text.append(".").toString();
    }

    private static String current(ClusterView view, String node, int gpu) {
        return view.inventory().state().nodes().stream()
                .filter(n -> n.name().equals(node))
                .map(NodeState::gpus)
                .flatMap(List::stream)
                .filter(g -> g.index() == gpu)
                .findFirst()
                .map(GpuState::instances)
                .map(Layouts::describeCurrent)
                .orElse("its layout");
    }
}
