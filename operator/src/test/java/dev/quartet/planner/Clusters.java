package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Short builders for cluster states and demands in tests. */
final class Clusters {

    private Clusters() {}

    static ClusterState cluster(NodeState... nodes) {
        return new ClusterState(List.of(nodes));
    }

    static NodeState node(String name, GpuState... gpus) {
        return new NodeState(name, List.of(gpus), false);
    }

    static NodeState fixedNode(String name, GpuState... gpus) {
        return new NodeState(name, List.of(gpus), true);
    }

    static GpuState a30(int index, InstanceState... instances) {
        return new GpuState(index, GpuModel.A30, Arrays.asList(instances));
    }

    static GpuState gpu(int index, GpuModel model, InstanceState... instances) {
        return new GpuState(index, model, Arrays.asList(instances));
    }

    static InstanceState free(String profile, int start) {
        return InstanceState.free(profile, start);
    }

    /** A running replica named {@code <demand>-<suffix>} that may not move. */
    static InstanceState running(String profile, int start, String demand, String suffix) {
        return new InstanceState(profile, start, demand + "-" + suffix, demand, false);
    }

    static InstanceState movable(String profile, int start, String demand, String suffix) {
        return new InstanceState(profile, start, demand + "-" + suffix, demand, true);
    }

    static InstanceState foreign(String profile, int start, String pod) {
        return new InstanceState(profile, start, pod, null, false);
    }

    static Demand demand(String name, String profile, int replicas) {
        return Demand.ofProfile(name, profile, replicas, 0);
    }

    static Demand demand(String name, String profile, int replicas, int priority) {
        return Demand.ofProfile(name, profile, replicas, priority);
    }

    static Demand movableDemand(String name, String profile, int replicas, int priority) {
        return new Demand(name, profile, null, replicas, priority, null, true, Placement.SPREAD, null);
    }

    static Demand memoryDemand(String name, int memoryGiB, int replicas) {
        return new Demand(name, null, memoryGiB, replicas, 0, null, false, Placement.SPREAD, null);
    }

    static Demand packed(String name, String profile, int replicas) {
        return new Demand(name, profile, null, replicas, 0, null, false, Placement.PACK, null);
    }

    static Demand onNodes(String name, String profile, int replicas, String... nodes) {
        return new Demand(name, profile, null, replicas, 0, null, false, Placement.SPREAD, Set.of(nodes));
    }

    static List<Demand> demands(Demand... demands) {
        return List.of(demands);
    }

    static Plan plan(ClusterState state, Demand... demands) {
        Plan plan = new MigPlanner().plan(state, List.of(demands));
        PlanChecks.verify(state, List.of(demands), plan);
        return plan;
    }

    /** The planned layout of one GPU as text, e.g. {@code [1g.6gb@0, 1g.6gb@1, 2g.12gb@2]}. */
    static String layout(Plan plan, String node, int index) {
        return gpuPlan(plan, node, index).layout().toString();
    }

    static GpuPlan gpuPlan(Plan plan, String node, int index) {
        return plan.gpus().stream()
                .filter(g -> g.node().equals(node) && g.index() == index)
                .findFirst()
                .orElseThrow();
    }

    static long count(Plan plan, String demand) {
        return plan.assignments().stream()
                .filter(a -> a.demand().equals(demand))
                .count();
    }

    static long countOn(Plan plan, String demand, String node) {
        return plan.assignments().stream()
                .filter(a -> a.demand().equals(demand) && a.node().equals(node))
                .count();
    }

    static long repartitioned(Plan plan) {
        return plan.gpus().stream().filter(GpuPlan::repartition).count();
    }
}
