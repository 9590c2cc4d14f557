package dev.quartet.preview;

import dev.quartet.planner.Assignment;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Plan;
import dev.quartet.planner.Unsatisfied;
import dev.quartet.status.ShortfallMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What Quartet would do to carry out a plan, in an administrator's terms: the GPUs it repartitions (layout before
 * and after, the replicas drained off them), the replicas it creates, moves (from and to), pre-empts (moves with no
 * replacement: a higher priority takes the slice) and removes, and every deployment left short, with the planner's
 * reason and what would make its replicas fit. Pure: derived from the planning input and the plan.
 */
public record PlanPreview(
        List<Repartition> repartitions,
        List<NewReplica> placed,
        List<Move> moved,
        List<Preemption> preempted,
        List<Removal> removed,
        List<Pending> pending) {

    public PlanPreview {
        repartitions = List.copyOf(repartitions);
        placed = List.copyOf(placed);
        moved = List.copyOf(moved);
        preempted = List.copyOf(preempted);
        removed = List.copyOf(removed);
        pending = List.copyOf(pending);
    }

    /** A MIG slice: a profile at a start slot of one GPU of a node. */
    public record Slot(String node, int gpu, String profile, int start) {
        @Override
        public String toString() {
            return node + " GPU " + gpu + " (" + profile + " at slot " + start + ")";
        }
    }

    /** A GPU MIG Manager repartitions: its layout now and planned, and the replicas that leave it first. */
    public record Repartition(String node, int gpu, String model, String from, String to, List<String> drained) {}

    /** A replica to create; {@code afterRepartition}: its GPU is repartitioned first. */
    public record NewReplica(String deployment, Slot slot, boolean afterRepartition) {}

    /** A running replica replaced elsewhere, then evicted. */
    public record Move(String replica, String deployment, Slot from, Slot to) {}

    /** A running replica evicted with no replacement: a deployment of higher priority takes its slice. */
    public record Preemption(String replica, String deployment, Slot from) {}

    /** A running replica the plan no longer keeps. */
    public record Removal(String replica, String deployment, Slot from, String why) {}

    /** A deployment left short: the planner's reason, what it means, and what would fit its replicas. */
    public record Pending(
            String deployment, int missing, int desired, String reason, String meaning, List<String> wouldFit) {

        /** The sentences the Degraded condition and the admission webhook say. */
        public List<String> sentences() {
            return ShortfallMessage.sentences(
                    new Unsatisfied(deployment, missing, dev.quartet.planner.UnsatisfiedReason.valueOf(reason)),
                    desired,
                    wouldFit);
        }
    }

    /** The preview of {@code plan} for {@code input}; {@code wouldFit} gives, per short deployment id, what fits it. */
    public static PlanPreview of(PlanningInput input, Plan plan, Function<String, List<String>> wouldFit) {
        Map<String, Slot> running = new TreeMap<>();
        Map<String, String> demandOf = new TreeMap<>();
        Map<String, GpuState> gpus = new TreeMap<>();
        for (NodeState n : input.state().nodes()) {
            for (GpuState g : n.gpus()) {
                gpus.put(key(n.name(), g.index()), g);
                for (InstanceState i : g.instances()) {
                    if (!i.isFree()) {
                        running.put(i.replica(), new Slot(n.name(), g.index(), i.profile(), i.start()));
                        if (i.demand() != null) {
                            demandOf.put(i.replica(), i.demand());
                        }
                    }
                }
            }
        }
        List<Repartition> repartitions = new ArrayList<>();
        Map<String, Boolean> repartitioned = new TreeMap<>();
        for (GpuPlan g : plan.gpus()) {
            repartitioned.put(key(g.node(), g.index()), g.repartition());
            if (!g.repartition()) {
                continue;
            }
            GpuState now = gpus.get(key(g.node(), g.index()));
            List<String> drained = now == null
                    ? List.of()
                    : now.instances().stream()
                            .filter(i -> !i.isFree())
                            .map(InstanceState::replica)
                            .toList();
            repartitions.add(new Repartition(
                    g.node(),
                    g.index(),
                    g.model().displayName(),
                    now == null ? "unknown" : Layouts.describeCurrent(now.instances()),
                    Layouts.describe(g.layout()),
                    drained));
        }
        Map<String, Deque<Assignment>> fresh = new TreeMap<>();
        plan.assignments().stream()
                .filter(a -> !a.existing())
                .forEach(a -> fresh.computeIfAbsent(a.demand(), k -> new ArrayDeque<>())
                        .add(a));
        List<Move> moves = new ArrayList<>();
        List<Preemption> preemptions = new ArrayList<>();
        for (String replica : plan.moved()) {
            String demand = demandOf.get(replica);
            Deque<Assignment> replacements = fresh.get(demand);
            Slot from = running.get(replica);
            Assignment to = replacements == null ? null : replacements.poll();
            if (to == null) {
                preemptions.add(new Preemption(replica, demand, from));
            } else {
                moves.add(new Move(replica, demand, from, slot(to)));
            }
        }
        List<NewReplica> placed = new ArrayList<>();
        fresh.values()
                .forEach(left -> left.forEach(a -> placed.add(new NewReplica(
                        a.demand(), slot(a), repartitioned.getOrDefault(key(a.node(), a.gpu()), false)))));
        List<Removal> removals = new ArrayList<>();
        for (String replica : plan.released()) {
            String demand = demandOf.get(replica);
            Slot from = running.get(replica);
            Demand d = demand == null ? null : input.demands().get(demand);
            String why = d != null && from != null && !d.mayKeep(from.node())
                    ? "its node no longer qualifies (spec.worker.nodeSelector, or a NoExecute taint it does not"
                            + " tolerate)"
                    : "the deployment asks for fewer replicas (" + (d == null ? 0 : d.replicas()) + ")";
            removals.add(new Removal(replica, demand, from, why));
        }
        List<Pending> pending = new ArrayList<>();
        for (Unsatisfied u : plan.unsatisfied()) {
            Demand d = input.demands().get(u.demand());
            pending.add(new Pending(
                    u.demand(),
                    u.missing(),
                    d == null ? u.missing() : d.replicas(),
                    u.reason().name(),
                    ShortfallMessage.meaning(u.reason()),
                    wouldFit.apply(u.demand())));
        }
        return new PlanPreview(repartitions, placed, moves, preemptions, removals, pending);
    }

    /** Whether carrying out the plan changes nothing: no repartition, no new, moved, pre-empted or removed replica. */
    public boolean changesNothing() {
        return repartitions.isEmpty()
                && placed.isEmpty()
                && moved.isEmpty()
                && preempted.isEmpty()
                && removed.isEmpty();
    }

    /** Replicas that stay without a slice. */
    public int pendingReplicas() {
        return pending.stream().mapToInt(Pending::missing).sum();
    }

    private static Slot slot(Assignment a) {
        return new Slot(a.node(), a.gpu(), a.profile(), a.start());
    }

    private static String key(String node, int gpu) {
        return node + "\u0000" + gpu;
    }
}
