package dev.quartet.planner;

import dev.quartet.nvidia.MigProfile;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Checks every invariant a plan must keep whatever the input (rules 1, 2, 7 and the plan's own consistency). */
final class PlanChecks {

    private PlanChecks() {}

    static void verify(ClusterState state, List<Demand> demands, Plan plan) {
        Map<String, Demand> byName = new HashMap<>();
        demands.forEach(d -> byName.put(d.name(), d));
        Set<String> moved = new HashSet<>(plan.moved());
        Set<String> released = new HashSet<>(plan.released());
        check(
                plan.gpus().size()
                        == state.nodes().stream().mapToInt(n -> n.gpus().size()).sum(),
                "one GpuPlan per GPU");
        Set<String> usedInstances = new HashSet<>();
        Map<String, Integer> perDemand = new HashMap<>();
        for (Assignment a : plan.assignments()) {
            perDemand.merge(a.demand(), 1, Integer::sum);
            check(usedInstances.add(a.node() + "/" + a.gpu() + "/" + a.start()), "two replicas on one instance: " + a);
        }
        for (NodeState node : state.nodes()) {
            for (GpuState gpu : node.gpus()) {
                GpuPlan gpuPlan = find(plan, node.name(), gpu.index());
                verifyGpu(node, gpu, gpuPlan, byName, moved, released, plan);
            }
        }
        for (Demand demand : demands) {
            int assigned = perDemand.getOrDefault(demand.name(), 0);
            check(assigned <= demand.replicas(), demand.name() + " has more replicas than asked");
            Optional<Unsatisfied> short_ = plan.unsatisfied().stream()
                    .filter(u -> u.demand().equals(demand.name()))
                    .findFirst();
            int missing = demand.replicas() - assigned;
            check(
                    missing == 0
                            ? short_.isEmpty()
                            : short_.map(Unsatisfied::missing).orElse(0) == missing,
                    demand.name() + " missing " + missing + " but unsatisfied says " + short_);
        }
        check(
                plan.equals(
                        new Plan(plan.gpus(), plan.assignments(), plan.moved(), plan.released(), plan.unsatisfied())),
                "plan is a value");
    }

    private static void verifyGpu(
            NodeState node,
            GpuState gpu,
            GpuPlan gpuPlan,
            Map<String, Demand> demands,
            Set<String> moved,
            Set<String> released,
            Plan plan) {
        String where = node.name() + "/gpu" + gpu.index();
        check(gpuPlan.model() == gpu.model(), where + ": model changed");
        check(
                LayoutCatalog.isLegal(gpu.model(), gpuPlan.layout()),
                where + ": illegal layout " + gpuPlan.layout() + " "
                        + LayoutCatalog.violations(gpu.model(), gpuPlan.layout()));
        List<Instance> current = gpu.instances().stream()
                .map(InstanceState::instance)
                .sorted(java.util.Comparator.comparingInt(Instance::start))
                .toList();
        check(gpuPlan.repartition() != current.equals(gpuPlan.layout()), where + ": repartition flag wrong");
        for (InstanceState instance : gpu.instances()) {
            if (instance.isFree()) {
                continue;
            }
            String replica = instance.replica();
            boolean gone = moved.contains(replica) || released.contains(replica);
            if (instance.isForeign()) {
                check(!gone, where + ": foreign workload " + replica + " moved or released");
                check(!gpuPlan.repartition(), where + ": repartitioned under foreign workload " + replica);
                continue;
            }
            Demand demand = demands.get(instance.demand());
            boolean mayMove = demand != null
                    && demand.movable()
                    && instance.movable()
                    && !node.layoutFixed()
                    && !gpu.layoutFixed();
            check(!moved.contains(replica) || mayMove, where + ": moved " + replica + " that may not move");
            check(!(moved.contains(replica) && released.contains(replica)), replica + " both moved and released");
            check(!gpuPlan.repartition() || gone, where + ": repartitioned under running " + replica);
            boolean kept = plan.assignments().stream().anyMatch(a -> replica.equals(a.replica()));
            check(kept != gone, where + ": " + replica + " is neither kept nor drained, or both");
            plan.assignments().stream()
                    .filter(a -> replica.equals(a.replica()))
                    .forEach(a -> check(
                            a.existing()
                                    && a.node().equals(node.name())
                                    && a.gpu() == gpu.index()
                                    && a.start() == instance.start()
                                    && a.demand().equals(instance.demand()),
                            where + ": kept replica elsewhere " + a));
        }
        check(!gpuPlan.repartition() || !node.layoutFixed(), where + ": repartitioned on a fixed node");
        check(!gpuPlan.repartition() || !gpu.layoutFixed(), where + ": repartitioned a fixed GPU");
        if (gpuPlan.repartition()) {
            LayoutCatalog catalog = LayoutCatalog.of(gpu.model());
            check(
                    catalog.isFull(catalog.shapeOf(gpuPlan.layout())),
                    where + ": repartitioned layout not full " + gpuPlan.layout());
        }
        for (Assignment a : plan.assignments()) {
            if (!a.node().equals(node.name()) || a.gpu() != gpu.index()) {
                continue;
            }
            check(gpuPlan.layout().contains(new Instance(a.profile(), a.start())), where + ": no instance for " + a);
            Demand demand = demands.get(a.demand());
            check(demand != null && demand.eligible(node.name()), where + ": " + a + " on an ineligible node");
            check(
                    ResolvedDemand.resolve(demand, gpu.model())
                            .map(MigProfile::name)
                            .orElse("")
                            .equals(a.profile()),
                    where + ": " + a + " has the wrong profile for " + gpu.model());
            check(a.existing() == (a.replica() != null), where + ": existing flag and replica disagree " + a);
        }
    }

    private static GpuPlan find(Plan plan, String node, int index) {
        return plan.gpus().stream()
                .filter(g -> g.node().equals(node) && g.index() == index)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no GpuPlan for " + node + "/" + index));
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
