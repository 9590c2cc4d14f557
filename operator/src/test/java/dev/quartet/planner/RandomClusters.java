package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Random but valid planning inputs from a seed: nodes of the given models with legal current layouts,
 * running replicas of the demands (never more than a demand asks for), foreign workloads, fixed nodes and GPUs.
 */
final class RandomClusters {

    final ClusterState state;
    final List<Demand> demands;

    private final Random random;
    private int foreignSerial;

    /** A scenario: options say how big and how varied. */
    record Shape(
            List<GpuModel> models,
            int maxNodes,
            int maxGpusPerNode,
            int maxGpus,
            int maxDemands,
            int maxReplicas,
            boolean mediaExtensions,
            boolean eligibility,
            boolean overReplicas,
            boolean fullOrEmptyLayouts) {}

    static Shape small(List<GpuModel> models) {
        return new Shape(models, 3, 2, 4, 3, 5, true, true, true, false);
    }

    static Shape tinyA30() {
        return new Shape(List.of(GpuModel.A30), 3, 2, 3, 3, 5, true, false, false, false);
    }

    /**
     * Few nodes with several GPUs each, full or empty, and many replicas: a node's GPUs fill up with small
     * profiles (about 2.5% of these plans strand a slice a different split of a node's replicas would cover,
     * without the planner's sharing out).
     */
    static Shape crowdedNodes(List<GpuModel> models) {
        return new Shape(models, 2, 4, 8, 4, 12, false, false, false, true);
    }

    /**
     * Up to 16 GPUs on up to three nodes, full or empty, and up to four demands of up to 25 replicas: GPUs
     * filled with small profiles beside idle ones (with a threshold of 1, about 6% of these plans use an idle
     * GPU to cover stranded slices).
     */
    static Shape idleBesideFull(List<GpuModel> models) {
        return new Shape(models, 3, 8, 16, 4, 25, false, false, false, true);
    }

    /** Like the benchmark's clusters: every current layout is full or empty; no fixed node or GPU. */
    static Shape fullOrEmpty(List<GpuModel> models) {
        return new Shape(models, 3, 2, 4, 3, 5, false, true, true, true);
    }

    RandomClusters(long seed, Shape shape) {
        this.random = new Random(seed);
        this.demands = demands(shape);
        this.state = cluster(shape);
    }

    private List<Demand> demands(Shape shape) {
        List<Demand> list = new ArrayList<>();
        int count = 1 + random.nextInt(shape.maxDemands());
        for (int d = 0; d < count; d++) {
            GpuModel model = pick(shape.models());
            List<MigProfile> profiles = model.profiles().stream()
                    .filter(p -> shape.mediaExtensions() || !p.mediaExtensions())
                    .toList();
            MigProfile profile =
                    random.nextInt(6) == 0 ? pick(profiles) : pick(profiles.subList(0, Math.min(3, profiles.size())));
            boolean byMemory = random.nextInt(4) == 0;
            Set<String> eligible = shape.eligibility() && random.nextInt(4) == 0 ? Set.of("n0", "n2") : null;
            list.add(new Demand(
                    "ns/d" + d,
                    byMemory ? null : profile.name(),
                    byMemory ? 1 + random.nextInt(profile.memoryGiB()) : null,
                    random.nextInt(shape.maxReplicas() + 1),
                    random.nextInt(3),
                    random.nextInt(3) == 0 ? model : null,
                    random.nextBoolean(),
                    random.nextInt(4) == 0 ? Placement.PACK : Placement.SPREAD,
                    eligible));
        }
        return list;
    }

    private ClusterState cluster(Shape shape) {
        List<NodeState> nodes = new ArrayList<>();
        int nodeCount = 1 + random.nextInt(shape.maxNodes());
        int gpusLeft = shape.maxGpus();
        Map<String, Integer> running = new HashMap<>();
        for (int n = 0; n < nodeCount && gpusLeft > 0; n++) {
            List<GpuState> gpus = new ArrayList<>();
            int gpuCount = 1 + random.nextInt(Math.min(shape.maxGpusPerNode(), gpusLeft));
            gpusLeft -= gpuCount;
            for (int g = 0; g < gpuCount; g++) {
                gpus.add(gpu(g, pick(shape.models()), "n" + n, running, shape));
            }
            nodes.add(new NodeState("n" + n, gpus, !shape.fullOrEmptyLayouts() && random.nextInt(8) == 0));
        }
        return new ClusterState(nodes);
    }

    private GpuState gpu(int index, GpuModel model, String node, Map<String, Integer> running, Shape shape) {
        LayoutCatalog catalog = LayoutCatalog.of(model);
        List<LayoutShape> layouts = random.nextBoolean()
                ? catalog.fullLayouts()
                : shape.fullOrEmptyLayouts() ? List.of(catalog.legalLayouts().get(0)) : catalog.legalLayouts();
        LayoutShape layout = pick(layouts);
        List<InstanceState> instances = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Instance instance : layout.instances(catalog)) {
            instances.add(occupant(instance, model, node, running, shape, names));
        }
        // A GPU the operator pins (a pod on it whose slice it cannot see), drawn only where fixed nodes are.
        return new GpuState(index, model, instances, !shape.fullOrEmptyLayouts() && random.nextInt(8) == 0);
    }

    private InstanceState occupant(
            Instance instance,
            GpuModel model,
            String node,
            Map<String, Integer> running,
            Shape shape,
            Set<String> names) {
        int roll = random.nextInt(10);
        if (roll == 0) {
            return new InstanceState(instance.profile(), instance.start(), "other/pod-" + foreignSerial++, null, false);
        }
        if (roll < 5) {
            for (Demand demand : demands) {
                boolean fits = ResolvedDemand.resolve(demand, model)
                                .map(MigProfile::name)
                                .orElse("")
                                .equals(instance.profile())
                        && demand.eligible(node);
                int already = running.getOrDefault(demand.name(), 0);
                if (fits && (already < demand.replicas() || shape.overReplicas() && random.nextInt(4) == 0)) {
                    running.merge(demand.name(), 1, Integer::sum);
                    return new InstanceState(
                            instance.profile(),
                            instance.start(),
                            demand.name() + "-r" + already,
                            demand.name(),
                            random.nextInt(4) != 0);
                }
            }
        }
        return InstanceState.free(instance.profile(), instance.start());
    }

    private <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }
}
