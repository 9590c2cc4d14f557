package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The free instances of a dynamic GPU in use (NVIDIA's DRA driver makes an instance per claim, so such a GPU lists
 * only the instances its claims hold). MIG Manager's rule that a GPU in use keeps its whole layout does not hold
 * there: any free legal placement can be used at once. The planner itself keeps a GPU in use as it is and fills its
 * free instances, so before planning each dynamic GPU in use is given the full legal layout around its instances in
 * use whose free instances serve the demands best: most memory slices of the profiles still wanted (as many of each
 * as the demands still lack), then the largest free instances (room for a larger profile), then the lowest starts.
 * A dynamic GPU with nothing in use is left empty: the planner opens it, at no cost on the node.
 */
final class DynamicFill {

    private DynamicFill() {}

    /** {@code state} with every dynamic GPU in use filled; the same object when there is none. */
    static ClusterState fill(ClusterState state, List<Demand> demands) {
        boolean any = state.nodes().stream()
                .flatMap(n -> n.gpus().stream())
                .anyMatch(g -> g.dynamic() && !g.instances().isEmpty());
        if (!any) {
            return state;
        }
        Map<GpuModel, Map<String, Integer>> wanted = wanted(state, demands);
        List<NodeState> nodes = new ArrayList<>();
        for (NodeState node : state.nodes()) {
            List<GpuState> gpus = new ArrayList<>();
            for (GpuState gpu : node.gpus()) {
                gpus.add(
                        gpu.dynamic() && !gpu.instances().isEmpty()
                                ? filled(gpu, wanted.getOrDefault(gpu.model(), Map.of()))
                                : gpu);
            }
            nodes.add(new NodeState(node.name(), gpus, node.layoutFixed()));
        }
        return new ClusterState(nodes);
    }

    /** Per model, the replicas each profile still lacks over the cluster (asked for minus running). */
    private static Map<GpuModel, Map<String, Integer>> wanted(ClusterState state, List<Demand> demands) {
        Map<String, Integer> running = new TreeMap<>();
        state.nodes()
                .forEach(n -> n.gpus()
                        .forEach(g -> g.instances().stream()
                                .filter(i -> i.demand() != null)
                                .forEach(i -> running.merge(i.demand(), 1, Integer::sum))));
        Map<GpuModel, Map<String, Integer>> wanted = new TreeMap<>();
        Set<GpuModel> models = new TreeSet<>();
        state.nodes().forEach(n -> n.gpus().forEach(g -> models.add(g.model())));
        for (GpuModel model : models) {
            Map<String, Integer> perProfile = new TreeMap<>();
            for (Demand d : demands) {
                int lack = d.replicas() - running.getOrDefault(d.name(), 0);
                if (lack > 0) {
                    d.profileOn(model).ifPresent(p -> perProfile.merge(p, lack, Integer::sum));
                }
            }
            wanted.put(model, perProfile);
        }
        return wanted;
    }

    private static GpuState filled(GpuState gpu, Map<String, Integer> wanted) {
        LayoutCatalog catalog = LayoutCatalog.of(gpu.model());
        Set<Instance> inUse = new HashSet<>();
        gpu.instances().forEach(i -> inUse.add(i.instance()));
        LayoutShape best = null;
        int[] bestScore = null;
        for (LayoutShape layout : catalog.fullLayouts()) {
            List<Instance> instances = layout.instances(catalog);
            if (!instances.containsAll(inUse)) {
                continue;
            }
            int[] score = score(catalog, instances, inUse, wanted);
            if (best == null || compare(score, bestScore) > 0) {
                best = layout;
                bestScore = score;
            }
        }
        if (best == null) {
            // instances no legal full layout holds: the input validator reports them; plan with what is in use
            return gpu;
        }
        List<InstanceState> instances = new ArrayList<>(gpu.instances());
        for (Instance i : best.instances(catalog)) {
            if (!inUse.contains(i)) {
                instances.add(InstanceState.free(i.profile(), i.start()));
            }
        }
        return new GpuState(gpu.index(), gpu.model(), instances, gpu.layoutFixed(), true);
    }

    /** Wanted slices covered, then the largest free instance, then (negated) the sum of free starts. */
    private static int[] score(
            LayoutCatalog catalog, List<Instance> instances, Set<Instance> inUse, Map<String, Integer> wanted) {
        Map<String, Integer> left = new TreeMap<>(wanted);
        int covered = 0;
        int largest = 0;
        int starts = 0;
        for (Instance i : instances) {
            if (inUse.contains(i)) {
                continue;
            }
            int slices = catalog.profile(catalog.indexOf(i.profile())).memorySlices();
            if (left.getOrDefault(i.profile(), 0) > 0) {
                left.merge(i.profile(), -1, Integer::sum);
                covered += slices;
            }
            largest = Math.max(largest, slices);
            starts += i.start();
        }
        return new int[] {covered, largest, -starts};
    }

    private static int compare(int[] a, int[] b) {
        return java.util.Arrays.compare(a, b);
    }
}
