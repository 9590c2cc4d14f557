package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the cluster looks like once a plan is carried out: planned layouts, every assigned replica running. */
final class PlanApplier {

    private PlanApplier() {}

    static ClusterState apply(ClusterState state, List<Demand> demands, Plan plan) {
        Map<String, Demand> byName = new HashMap<>();
        demands.forEach(d -> byName.put(d.name(), d));
        Map<String, InstanceState> foreign = new HashMap<>();
        Map<String, Boolean> movable = new HashMap<>();
        state.nodes()
                .forEach(n -> n.gpus()
                        .forEach(g -> g.instances().forEach(i -> {
                            if (i.isForeign()) {
                                foreign.put(n.name() + "/" + g.index() + "/" + i.start(), i);
                            } else if (i.replica() != null) {
                                movable.put(i.replica(), i.movable());
                            }
                        })));
        Map<String, Integer> serial = new HashMap<>();
        List<NodeState> nodes = new ArrayList<>();
        for (NodeState node : state.nodes()) {
            List<GpuState> gpus = new ArrayList<>();
            for (GpuState gpu : node.gpus()) {
                GpuPlan gpuPlan = plan.gpus().stream()
                        .filter(g -> g.node().equals(node.name()) && g.index() == gpu.index())
                        .findFirst()
                        .orElseThrow();
                List<InstanceState> instances = new ArrayList<>();
                for (Instance instance : gpuPlan.layout()) {
                    String key = node.name() + "/" + gpu.index() + "/" + instance.start();
                    Assignment a = plan.assignments().stream()
                            .filter(x -> x.node().equals(node.name())
                                    && x.gpu() == gpu.index()
                                    && x.start() == instance.start())
                            .findFirst()
                            .orElse(null);
                    if (a != null) {
                        String replica = a.existing()
                                ? a.replica()
                                : a.demand() + "-n" + serial.merge(a.demand(), 1, Integer::sum);
                        instances.add(new InstanceState(
                                instance.profile(),
                                instance.start(),
                                replica,
                                a.demand(),
                                a.existing()
                                        ? movable.get(replica)
                                        : byName.get(a.demand()).movable()));
                    } else if (foreign.containsKey(key) && !gpuPlan.repartition()) {
                        instances.add(foreign.get(key));
                    } else {
                        instances.add(InstanceState.free(instance.profile(), instance.start()));
                    }
                }
                instances.sort(Comparator.comparingInt(InstanceState::start));
                gpus.add(new GpuState(gpu.index(), gpu.model(), instances, gpu.layoutFixed()));
            }
            nodes.add(new NodeState(node.name(), gpus, node.layoutFixed()));
        }
        return new ClusterState(nodes);
    }

    /**
     * Halfway through a plan, as the operator carries it out: new replicas run on the free instances of GPUs that
     * keep their layout, while every GPU to repartition, and every replica to move, is still as it was.
     */
    static ClusterState startOnUnchanged(ClusterState state, List<Demand> demands, Plan plan) {
        Map<String, Demand> byName = new HashMap<>();
        demands.forEach(d -> byName.put(d.name(), d));
        Map<String, Integer> serial = new HashMap<>();
        List<NodeState> nodes = new ArrayList<>();
        for (NodeState node : state.nodes()) {
            List<GpuState> gpus = new ArrayList<>();
            for (GpuState gpu : node.gpus()) {
                boolean repartition = plan.gpus().stream()
                        .anyMatch(g -> g.node().equals(node.name()) && g.index() == gpu.index() && g.repartition());
                List<InstanceState> instances = new ArrayList<>();
                for (InstanceState instance : gpu.instances()) {
                    Assignment a = repartition || !instance.isFree()
                            ? null
                            : plan.assignments().stream()
                                    .filter(x -> !x.existing()
                                            && x.node().equals(node.name())
                                            && x.gpu() == gpu.index()
                                            && x.start() == instance.start())
                                    .findFirst()
                                    .orElse(null);
                    instances.add(
                            a == null
                                    ? instance
                                    : new InstanceState(
                                            instance.profile(),
                                            instance.start(),
                                            a.demand() + "-n" + serial.merge(a.demand(), 1, Integer::sum),
                                            a.demand(),
                                            byName.get(a.demand()).movable()));
                }
                gpus.add(new GpuState(gpu.index(), gpu.model(), instances, gpu.layoutFixed()));
            }
            nodes.add(new NodeState(node.name(), gpus, node.layoutFixed()));
        }
        return new ClusterState(nodes);
    }
}
