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
 * Large benchmark scenarios from a seed: a cluster in mid-life (empty GPUs, free full layouts, GPUs running
 * replicas of the demands, a few foreign workloads) and demands sized to a load factor of its capacity.
 */
final class BenchScenarios {

    record Scenario(String name, ClusterState state, List<Demand> demands) {}

    private final Random random;

    private BenchScenarios(long seed) {
        this.random = new Random(seed);
    }

    /** {@code load}: memory slices the demands ask for, as a share of every slice of the cluster. */
    static Scenario generate(
            String name, int nodes, int gpusPerNode, List<GpuModel> models, int demands, double load, long seed) {
        return new BenchScenarios(seed).build(name, nodes, gpusPerNode, models, demands, load);
    }

    private Scenario build(
            String name, int nodeCount, int gpusPerNode, List<GpuModel> models, int demandCount, double load) {
        List<String> nodeNames = new ArrayList<>();
        for (int n = 0; n < nodeCount; n++) {
            nodeNames.add(String.format("node-%04d", n));
        }
        List<Demand> demands =
                demands(demandCount, models, nodeNames, load * nodeCount * gpusPerNode * 8 / demandCount);
        Map<String, Integer> running = new HashMap<>();
        List<NodeState> nodes = new ArrayList<>();
        for (String node : nodeNames) {
            GpuModel model = models.get(random.nextInt(models.size()));
            List<GpuState> gpus = new ArrayList<>();
            for (int g = 0; g < gpusPerNode; g++) {
                gpus.add(gpu(node, g, model, demands, running));
            }
            nodes.add(new NodeState(node, gpus, random.nextInt(50) == 0));
        }
        return new Scenario(name, new ClusterState(nodes), demands);
    }

    /** {@code eighthsPerDemand}: average memory asked per demand, in eighths of a GPU. */
    private List<Demand> demands(int count, List<GpuModel> models, List<String> nodes, double eighthsPerDemand) {
        List<Demand> demands = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            GpuModel model = models.get(random.nextInt(models.size()));
            List<MigProfile> profiles =
                    model.profiles().stream().filter(p -> !p.mediaExtensions()).toList();
            int roll = random.nextInt(10);
            MigProfile profile = profiles.get(
                    roll < 5
                            ? 0
                            : roll < 8
                                    ? Math.min(2, profiles.size() - 1)
                                    : roll < 9 ? profiles.size() - 2 : random.nextInt(profiles.size()));
            boolean byMemory = random.nextInt(10) == 0;
            double eighths = (double) profile.memorySlices() * 8 / model.memorySlices();
            int replicas = (int) Math.max(1, Math.round(eighthsPerDemand / eighths * (0.5 + random.nextDouble())));
            demands.add(new Demand(
                    String.format("team-%02d/app-%04d", d % 37, d),
                    byMemory ? null : profile.name(),
                    byMemory ? profile.memoryGiB() : null,
                    replicas,
                    random.nextInt(4),
                    models.size() > 1 && random.nextInt(3) == 0 ? model : null,
                    random.nextInt(10) < 3,
                    random.nextInt(10) == 0 ? Placement.PACK : Placement.SPREAD,
                    random.nextInt(20) == 0 ? subset(nodes) : null));
        }
        return demands;
    }

    private Set<String> subset(List<String> nodes) {
        Set<String> subset = new HashSet<>();
        for (String node : nodes) {
            if (random.nextInt(10) == 0) {
                subset.add(node);
            }
        }
        return subset;
    }

    private GpuState gpu(String node, int index, GpuModel model, List<Demand> demands, Map<String, Integer> running) {
        int roll = random.nextInt(100);
        if (roll < 30) {
            return new GpuState(index, model, List.of());
        }
        LayoutCatalog catalog = LayoutCatalog.of(model);
        List<LayoutShape> full = catalog.fullLayouts().stream()
                .filter(l ->
                        l.instances(catalog).stream().noneMatch(i -> i.profile().contains("+me")))
                .toList();
        List<InstanceState> instances = new ArrayList<>();
        boolean foreign = roll >= 95;
        for (Instance instance : full.get(random.nextInt(full.size())).instances(catalog)) {
            if (foreign) {
                instances.add(new InstanceState(
                        instance.profile(),
                        instance.start(),
                        "other/" + node + "-" + index + "-" + instance.start(),
                        null,
                        false));
                foreign = false;
            } else if (roll >= 65 && random.nextInt(10) < 7) {
                instances.add(runningReplica(instance, model, node, demands, running));
            } else {
                instances.add(InstanceState.free(instance.profile(), instance.start()));
            }
        }
        return new GpuState(index, model, instances);
    }

    private InstanceState runningReplica(
            Instance instance, GpuModel model, String node, List<Demand> demands, Map<String, Integer> running) {
        for (int tries = 0; tries < 8; tries++) {
            Demand demand = demands.get(random.nextInt(demands.size()));
            int already = running.getOrDefault(demand.name(), 0);
            boolean fits = ResolvedDemand.resolve(demand, model)
                            .map(MigProfile::name)
                            .orElse("")
                            .equals(instance.profile())
                    && demand.eligible(node)
                    && already < demand.replicas();
            if (fits) {
                running.put(demand.name(), already + 1);
                return new InstanceState(
                        instance.profile(),
                        instance.start(),
                        demand.name() + "-" + already,
                        demand.name(),
                        demand.movable());
            }
        }
        return InstanceState.free(instance.profile(), instance.start());
    }
}
