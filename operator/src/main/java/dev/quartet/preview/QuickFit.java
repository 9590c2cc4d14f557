package dev.quartet.preview;

import dev.quartet.inventory.NodeReadiness;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.Instance;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Placement;
import dev.quartet.planner.Plan;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a new deployment's replicas fit in what a plan leaves free, without planning again: what the admission
 * webhook asks for every create, where a whole what-if plan (a few hundred milliseconds at 1,000 deployments) made
 * creating deployments the slowest part of filling a cluster (issue 18). Only "yes" is trusted: "no" means plan.
 *
 * <p>It says yes only when every part of the answer is certain without the planner: the plan left nothing
 * unsatisfied (else a waiting deployment may take the room); the free instances counted are instances of the
 * target layouts that no assignment and no running pod (leaving or not) holds, on Ready nodes the demand may use,
 * of its profile on that GPU model, never on a DRA GPU (its free placements are not listed); and they are enough
 * for the demand's replicas, on as many nodes as it has replicas when it spreads, plus {@code unplanned} replicas of
 * deployments the plan did not see, each counted as {@link #UNPLANNED_WEIGHT} instances since one of them may take
 * a whole GPU.
 */
public final class QuickFit {

    /** The most instances one GPU holds (A100, H100: seven): what one unplanned replica may take, at worst. */
    static final int UNPLANNED_WEIGHT = 7;

    private QuickFit() {}

    public static boolean fits(Demand demand, PlanningInput input, Plan plan, int unplanned) {
        if (!plan.unsatisfied().isEmpty() || demand.replicas() <= 0) {
            return demand.replicas() <= 0;
        }
        Set<String> held = new HashSet<>();
        for (Assignment a : plan.assignments()) {
            held.add(key(a.node(), a.gpu(), a.start()));
        }
        Set<String> dynamic = new HashSet<>();
        for (NodeState n : input.state().nodes()) {
            for (GpuState g : n.gpus()) {
                if (g.dynamic()) {
                    dynamic.add(n.name() + "/" + g.index());
                }
                for (InstanceState i : g.instances()) {
                    if (!i.isFree()) {
                        held.add(key(n.name(), g.index(), i.start()));
                    }
                }
            }
        }
        long free = 0;
        Set<String> nodesWithRoom = new HashSet<>();
        for (GpuPlan g : plan.gpus()) {
            if (input.inventory().readiness().get(g.node()) != NodeReadiness.READY
                    || dynamic.contains(g.node() + "/" + g.index())
                    || demand.eligibleNodes() != null && !demand.eligibleNodes().contains(g.node())
                    || demand.gpuModel() != null && demand.gpuModel() != g.model()) {
                continue;
            }
            Optional<String> profile = demand.profileOn(g.model());
            if (profile.isEmpty()) {
                continue;
            }
            for (Instance i : g.layout()) {
                if (i.profile().equals(profile.get()) && !held.contains(key(g.node(), g.index(), i.start()))) {
                    free++;
                    nodesWithRoom.add(g.node());
                }
            }
        }
        boolean spreadable = demand.placement() != Placement.SPREAD || nodesWithRoom.size() >= demand.replicas();
        return spreadable && free >= demand.replicas() + (long) UNPLANNED_WEIGHT * unplanned;
    }

    private static String key(String node, int gpu, int start) {
        return node + "/" + gpu + "@" + start;
    }
}
