package dev.quartet.demand;

import dev.quartet.inventory.GpuNode;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Demand;
import dev.quartet.planner.Placement;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Turns a valid InferenceDeployment into the planner's demand. */
public final class DemandFactory {

    private DemandFactory() {}

    public static String id(InferenceDeployment d) {
        return d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
    }

    public static Demand demand(InferenceDeployment d, Collection<GpuNode> nodes) {
        InferenceDeploymentSpec spec = d.getSpec();
        GpuModel model = spec.getSlice().getGpuModel() == null
                ? null
                : GpuModel.parse(spec.getSlice().getGpuModel().value());
        String profile = spec.getSlice().getProfile();
        Placement placement =
                spec.getPlacement() == dev.quartet.model.Placement.PACK ? Placement.PACK : Placement.SPREAD;
        return new Demand(
                id(d),
                profile == null || profile.isBlank() ? null : profile,
                spec.getSlice().getMemoryGiB(),
                ReplicaTarget.of(d),
                spec.getPriority() == null ? 0 : spec.getPriority(),
                model,
                Boolean.TRUE.equals(spec.getMovable()),
                placement,
                nodes(spec, nodes, false),
                nodes(spec, nodes, true),
                spec.getAutoscaling() != null);
    }

    /**
     * The names of the nodes new replicas may go to (or, with {@code running}, running ones may stay on), or null
     * when every node qualifies (no selector and no intolerable taint anywhere).
     */
    private static Set<String> nodes(InferenceDeploymentSpec spec, Collection<GpuNode> nodes, boolean running) {
        Map<String, String> selector =
                spec.getWorker() == null ? Map.of() : spec.getWorker().getNodeSelector();
        var tolerations = spec.getWorker() == null ? null : spec.getWorker().getTolerations();
        Set<String> eligible = new TreeSet<>();
        boolean all = true;
        for (GpuNode n : nodes) {
            if (running
                    ? NodeEligibility.mayKeepRunning(n, selector, tolerations)
                    : NodeEligibility.eligible(n, selector, tolerations)) {
                eligible.add(n.name());
            } else {
                all = false;
            }
        }
        return all ? null : eligible;
    }
}
