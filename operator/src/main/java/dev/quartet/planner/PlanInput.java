package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The planner's input in index form, sorted by name so the plan does not depend on input order: nodes,
 * demands, and each running replica classified as kept, released (its demand shrank, went away, or no longer
 * matches it) or foreign.
 */
final class PlanInput {

    /**
     * Every GPU model by ordinal, as registered when this input was built: the planner sizes and walks its per-model
     * tables by this snapshot, so a model registered meanwhile (by another thread) does not reach it. Every model of
     * the input's GPUs is in it (a model is registered before a node of it exists).
     */
    final GpuModel[] models = GpuModel.values();

    final String[] nodeNames;
    final boolean[] nodeFixed;
    final int[][] nodeGpus;
    final List<NodeState> nodes;
    final ResolvedDemand[] demands;
    final List<GpuState> gpuStates = new ArrayList<>();
    final List<String> released = new ArrayList<>();
    /** Per demand: kept running replicas. */
    final int[] keptCount;

    final int[] gpuNode;
    private final Map<Integer, List<RunningReplica>> keptByGpu = new HashMap<>();
    private GpuWork[] prototypes;
    private final Map<String, Integer> demandIndex = new HashMap<>();
    /** Running replicas to release first when their demand has more than it asks for. */
    final Set<String> releaseFirst;
    /** Per demand: how many running replicas were released because the demand has more than it asks for. */
    private final int[] surplusReleased;
    /** Kept running replicas by name: their demand. */
    private final Map<String, Integer> keptDemand = new HashMap<>();

    /** {@link MigPlanner.Options#idleGpuCoverMinSlices()}. */
    final int idleGpuCoverMinSlices;

    PlanInput(ClusterState state, List<Demand> demandList) {
        this(state, demandList, Set.of(), 0);
    }

    PlanInput(ClusterState state, List<Demand> demandList, Set<String> releaseFirst, int idleGpuCoverMinSlices) {
        this.releaseFirst = Set.copyOf(releaseFirst);
        this.idleGpuCoverMinSlices = idleGpuCoverMinSlices;
        nodes = state.nodes().stream()
                .sorted(Comparator.comparing(NodeState::name))
                .toList();
        nodeNames = nodes.stream().map(NodeState::name).toArray(String[]::new);
        nodeFixed = new boolean[nodes.size()];
        nodeGpus = new int[nodes.size()][];
        List<Demand> sorted =
                demandList.stream().sorted(Comparator.comparing(Demand::name)).toList();
        Set<GpuModel> present = new HashSet<>();
        nodes.forEach(node -> node.gpus().forEach(gpu -> present.add(gpu.model())));
        demands = new ResolvedDemand[sorted.size()];
        for (int d = 0; d < demands.length; d++) {
            demands[d] = new ResolvedDemand(d, sorted.get(d), nodeNames, present, models);
            demandIndex.put(sorted.get(d).name(), d);
        }
        keptCount = new int[demands.length];
        surplusReleased = new int[demands.length];
        for (int n = 0; n < nodes.size(); n++) {
            nodeFixed[n] = nodes.get(n).layoutFixed();
            List<GpuState> gpus = nodes.get(n).gpus().stream()
                    .sorted(Comparator.comparingInt(GpuState::index))
                    .toList();
            nodeGpus[n] = new int[gpus.size()];
            for (int i = 0; i < gpus.size(); i++) {
                nodeGpus[n][i] = gpuStates.size();
                gpuStates.add(gpus.get(i));
            }
        }
        gpuNode = new int[gpuStates.size()];
        for (int n = 0; n < nodeGpus.length; n++) {
            for (int g : nodeGpus[n]) {
                gpuNode[g] = n;
            }
        }
        classifyReplicas();
    }

    int demandIndex(String name) {
        Integer index = name == null ? null : demandIndex.get(name);
        return index == null ? -1 : index;
    }

    /** Fresh working GPUs for one planning pass. */
    GpuWork[] buildGpus() {
        if (prototypes == null) {
            prototypes = new GpuWork[gpuStates.size()];
            for (int g = 0; g < prototypes.length; g++) {
                prototypes[g] = gpuWork(g, gpuNode[g], keptByGpu.getOrDefault(g, List.of()));
            }
        }
        GpuWork[] gpus = new GpuWork[prototypes.length];
        for (int g = 0; g < gpus.length; g++) {
            gpus[g] = prototypes[g].fresh();
        }
        return gpus;
    }

    /** Classifies every running replica: kept, or released (demand gone, no longer matching, or scaled down). */
    private void classifyReplicas() {
        List<RunningReplica> candidates = new ArrayList<>();
        Map<Integer, Integer> occupied = new HashMap<>();
        for (int g = 0; g < gpuStates.size(); g++) {
            List<InstanceState> instances = sortedInstances(gpuStates.get(g));
            for (int i = 0; i < instances.size(); i++) {
                InstanceState instance = instances.get(i);
                if (instance.isFree()) {
                    continue;
                }
                occupied.merge(g, 1, Integer::sum);
                if (instance.isForeign()) {
                    continue;
                }
                int d = demandIndex(instance.demand());
                if (d >= 0 && matches(demands[d], gpuNode[g], gpuStates.get(g).model(), instance.profile())) {
                    candidates.add(new RunningReplica(
                            instance.replica(),
                            d,
                            g,
                            gpuNode[g],
                            i,
                            instance.movable() && demands[d].demand.movable()));
                } else {
                    released.add(instance.replica());
                }
            }
        }
        candidates.forEach(replica -> surplusReleased[replica.demand()]++);
        for (RunningReplica replica : new ReplicaRelease(demands, candidates, releaseFirst, occupied).keep(released)) {
            keptByGpu.computeIfAbsent(replica.gpu(), k -> new ArrayList<>()).add(replica);
            keptCount[replica.demand()]++;
            surplusReleased[replica.demand()]--;
            keptDemand.put(replica.name(), replica.demand());
        }
    }

    /**
     * Of the replicas a plan moves, those whose demand also lost a running replica to scale-down: releasing the
     * moved one instead keeps a replica where it runs and saves a move (a move's replacement runs alongside the
     * replica it replaces, so the demand has one too many until the old one goes).
     */
    Set<String> movedWithSurplus(List<String> moved) {
        Set<String> swap = new TreeSet<>();
        for (String name : moved) {
            Integer d = keptDemand.get(name);
            if (d != null && surplusReleased[d] > 0) {
                swap.add(name);
            }
        }
        return swap;
    }

    private boolean matches(ResolvedDemand demand, int node, GpuModel model, String profile) {
        int p = demand.profileOn(model);
        return demand.keep[node]
                && p >= 0
                && LayoutCatalog.of(model).profile(p).name().equals(profile);
    }

    private GpuWork gpuWork(int g, int node, List<RunningReplica> kept) {
        GpuState state = gpuStates.get(g);
        LayoutCatalog catalog = LayoutCatalog.of(state.model());
        List<InstanceState> instances = sortedInstances(state);
        LayoutShape current =
                catalog.shapeOf(instances.stream().map(InstanceState::instance).toList());
        int[] runningDemand = new int[instances.size()];
        String[] runningReplica = new String[instances.size()];
        boolean foreign = false;
        for (int i = 0; i < instances.size(); i++) {
            runningDemand[i] = GpuWork.FREE;
            if (instances.get(i).isForeign()) {
                runningDemand[i] = GpuWork.FOREIGN;
                runningReplica[i] = instances.get(i).replica();
                foreign = true;
            }
        }
        boolean allMovable = true;
        for (RunningReplica replica : kept) {
            runningDemand[replica.instance()] = replica.demand();
            runningReplica[replica.instance()] = replica.name();
            allMovable &= replica.movable();
        }
        boolean fixed = nodeFixed[node] || state.layoutFixed();
        boolean running = foreign || !kept.isEmpty();
        boolean reopenable = !fixed && !running;
        boolean displaceable = !fixed && !foreign && !kept.isEmpty() && allMovable;
        boolean usableAsIs = running || fixed || catalog.isFull(current);
        return new GpuWork(
                g,
                node,
                state.index(),
                state.model(),
                current,
                runningDemand,
                runningReplica,
                reopenable,
                displaceable,
                usableAsIs,
                state.dynamic());
    }

    /** A GPU's instances in layout order (by start), the order {@link LayoutShape} uses. */
    static List<InstanceState> sortedInstances(GpuState gpu) {
        return gpu.instances().stream()
                .sorted(Comparator.comparingInt(InstanceState::start))
                .toList();
    }

    /** A running replica of a known demand that still matches it. */
    record RunningReplica(String name, int demand, int gpu, int node, int instance, boolean movable) {}
}
