package dev.quartet.demand;

import dev.quartet.inventory.GpuNode;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Demand;
import dev.quartet.planner.Placement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Turns a valid InferenceDeployment into the planner's demand. */
public final class DemandFactory {

    private DemandFactory() {}

    public static String id(InferenceDeployment d) {
        return d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
    }

    public static Demand demand(InferenceDeployment d, Collection<GpuNode> nodes) {
        return demand(d, nodes, new HashMap<>());
    }

    /**
     * As above, with the eligible nodes of every (node selector, tolerations) already worked out for {@code nodes} in
     * {@code eligibility}: deployments without a selector of their own (most) share one answer, so turning all
     * deployments into demands walks the nodes once, not once per deployment (at 1,000 deployments on 250 nodes that
     * walk was most of each reconcile; issue 18).
     */
    public static Demand demand(
            InferenceDeployment d, Collection<GpuNode> nodes, Map<List<Object>, Optional<Set<String>>> eligibility) {
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
                nodes(spec, nodes, false, eligibility),
                nodes(spec, nodes, true, eligibility),
                spec.getAutoscaling() != null);
    }

    /**
     * The names of the nodes new replicas may go to (or, with {@code running}, running ones may stay on), or null
     * when every node qualifies (no selector and no intolerable taint anywhere).
     */
    private static Set<String> nodes(
            InferenceDeploymentSpec spec,
            Collection<GpuNode> nodes,
            boolean running,
            Map<List<Object>, Optional<Set<String>>> eligibility) {
        Map<String, String> selector =
                spec.getWorker() == null ? Map.of() : spec.getWorker().getNodeSelector();
        var tolerations = spec.getWorker() == null ? null : spec.getWorker().getTolerations();
        List<Object> key = Arrays.asList(
                selector == null || selector.isEmpty() ? Map.of() : selector,
                tolerations == null || tolerations.isEmpty() ? List.of() : tolerations,
                running);
        Optional<Set<String>> known = eligibility.get(key);
        if (known == null) {
            known = Optional.ofNullable(walk(nodes, selector, tolerations, running));
            eligibility.put(key, known);
        }
        return known.orElse(null);
    }

    private static Set<String> walk(
            Collection<GpuNode> nodes,
            Map<String, String> selector,
            List<io.fabric8.kubernetes.api.model.Toleration> tolerations,
            boolean running) {
        List<String> eligible = new ArrayList<>();
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
        // immutable, so Demand's Set.copyOf shares it rather than copying it per deployment
        return all ? null : Set.copyOf(eligible);
    }
}
