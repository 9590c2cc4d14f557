package dev.quartet.preview;

import dev.quartet.dependent.InferenceDeploymentPodDisruptionBudgetDependentResource;
import dev.quartet.inventory.GpuNode;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Plan;
import dev.quartet.planner.Unsatisfied;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * What would fit the replicas a plan leaves without a slice: the same planner, run again on the same input with one
 * knob changed (this deployment's priority, other deployments' {@code movable}, its node restrictions, its GPU model,
 * its {@code maxUnavailable} during a rollout, one more node), says which knob helps and by how much. Nothing is
 * guessed: a way is named only when the planner places more of the deployment's replicas with it.
 */
public final class FitAdvisor {

    /** The highest {@code spec.priority} the CRD allows. */
    static final int MAX_PRIORITY = 1000;

    /**
     * Planner runs for one deployment, at most. A count, not only a time, so that the same input gives the same
     * advice wherever it is computed (the webhook's warnings are what the status says later); the time limit is a
     * safety net for very large clusters.
     */
    static final int MAX_PLANS = 16;

    private final MigPlanner planner;
    private final Duration budget;

    /** @param budget planning time after which no further knob is tried (besides {@link #MAX_PLANS}) */
    public FitAdvisor(MigPlanner planner, Duration budget) {
        this.planner = planner;
        this.budget = budget;
    }

    /**
     * Capacity the cluster has but does not offer to {@code demand}: GPUs with MIG mode off on nodes whose GPU model
     * can hold its profile and where it may run, and why they are not used (no planner run: the inventory says it).
     * The status and the webhook's warnings both say it with a shortfall.
     */
    public static Optional<String> unofferedCapacity(PlanningInput input, String demand) {
        Demand d = input.demands().get(demand);
        if (d == null) {
            return Optional.empty();
        }
        List<String> unused = input.inventory().migOffUnused().entrySet().stream()
                .filter(e -> {
                    GpuNode node = input.inventory().nodes().get(e.getKey());
                    return node != null
                            && d.eligible(node.name())
                            && (d.gpuModel() == null || d.gpuModel() == node.model())
                            && d.profileOn(node.model()).isPresent();
                })
                .map(Map.Entry::getValue)
                .toList();
        return unused.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", unused));
    }

    /** The ways that would fit more replicas of {@code demand}, in words, most direct first; empty if none. */
    public List<String> wouldFit(PlanningInput input, Plan plan, String demand) {
        Demand d = input.demands().get(demand);
        Optional<Unsatisfied> short_ = plan.unsatisfied().stream()
                .filter(u -> u.demand().equals(demand))
                .findFirst();
        if (d == null || short_.isEmpty()) {
            return List.of();
        }
        Trials trials = new Trials(input, plan, d, System.nanoTime() + budget.toNanos());
        List<String> ways = new ArrayList<>();
        for (java.util.function.Supplier<Optional<String>> knob :
                List.<java.util.function.Supplier<Optional<String>>>of(
                        trials::priority,
                        trials::movable,
                        trials::oldReplicas,
                        trials::nodes,
                        trials::gpuModel,
                        trials::capacity)) {
            if (trials.outOfTime()) {
                break;
            }
            knob.get().ifPresent(ways::add);
        }
        return ways;
    }

    /** The planner runs for one short demand. */
    private final class Trials {
        private final PlanningInput input;
        private final Plan plan;
        private final Demand d;
        private final int base;
        private final long deadline;

        Trials(PlanningInput input, Plan plan, Demand d, long deadline) {
            this.input = input;
            this.plan = plan;
            this.d = d;
            this.base = satisfied(plan, d);
            this.deadline = deadline;
        }

        private int plans;

        boolean outOfTime() {
            return plans >= MAX_PLANS || System.nanoTime() > deadline;
        }

        Plan plan(ClusterState state, List<Demand> demands) {
            plans++;
            return planner.plan(state, demands, input.failing());
        }

        Plan planWith(Demand changed, ClusterState state) {
            List<Demand> demands = input.demandList().stream()
                    .map(x -> x.name().equals(changed.name()) ? changed : x)
                    .toList();
            return plan(state, demands);
        }

        Optional<String> priority() {
            if (d.priority() >= MAX_PRIORITY) {
                return Optional.empty();
            }
            int best = satisfied(planWith(withPriority(d, MAX_PRIORITY), input.state()), d);
            if (best <= base) {
                return Optional.empty();
            }
            // Priorities only compare: the lowest that wins is one above another demand's (or the maximum).
            List<Integer> candidates = new ArrayList<>(input.demands().values().stream()
                    .filter(o -> !o.name().equals(d.name()) && o.priority() >= d.priority())
                    .map(o -> Math.min(o.priority() + 1, MAX_PRIORITY))
                    .collect(Collectors.toCollection(TreeSet::new)));
            if (candidates.isEmpty() || candidates.get(candidates.size() - 1) != MAX_PRIORITY) {
                candidates.add(MAX_PRIORITY);
            }
            int lo = 0;
            int hi = candidates.size() - 1;
            while (lo < hi && !outOfTime()) {
                int mid = (lo + hi) / 2;
                if (satisfied(planWith(withPriority(d, candidates.get(mid)), input.state()), d) >= best) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            int priority = candidates.get(hi);
            Plan with = planWith(withPriority(d, priority), input.state());
            List<String> losers = losers(with);
            return Optional.of("raise spec.priority to " + priority + " (now " + d.priority() + "): "
                    + more(satisfied(with, d) - base) + taking(losers));
        }

        Optional<String> movable() {
            Set<String> pinned = new TreeSet<>();
            eachInstance(input.state(), (node, gpu, i) -> {
                Demand owner = i.demand() == null ? null : input.demands().get(i.demand());
                if (owner != null && !owner.name().equals(d.name()) && !owner.movable()) {
                    pinned.add(owner.name());
                }
            });
            if (pinned.isEmpty()) {
                return Optional.empty();
            }
            ClusterState state = mapInstances(
                    input.state(),
                    i -> i.demand() != null && pinned.contains(i.demand())
                            ? new InstanceState(i.profile(), i.start(), i.replica(), i.demand(), true)
                            : i);
            List<Demand> demands = input.demandList().stream()
                    .map(x -> pinned.contains(x.name()) ? withMovable(x) : x)
                    .toList();
            Plan with = plan(state, demands);
            int gained = satisfied(with, d) - base;
            if (gained <= 0) {
                return Optional.empty();
            }
            Map<String, Integer> movedOf = new TreeMap<>();
            Map<String, String> demandOf = new TreeMap<>();
            eachInstance(input.state(), (node, gpu, i) -> {
                if (i.demand() != null) {
                    demandOf.put(i.replica(), i.demand());
                }
            });
            with.moved().stream()
                    .map(demandOf::get)
                    .filter(o -> o != null && pinned.contains(o))
                    .forEach(o -> movedOf.merge(o, 1, Integer::sum));
            if (movedOf.isEmpty()) {
                return Optional.empty();
            }
            int moves = movedOf.values().stream().mapToInt(Integer::intValue).sum();
            return Optional.of("set movable: true on " + String.join(", ", movedOf.keySet())
                    + ": Quartet may then move " + moves + " of their replicas to repartition GPUs; " + more(gained)
                    + taking(losers(with)));
        }

        Optional<String> oldReplicas() {
            Set<String> own = input.replicas().getOrDefault(d.name(), Set.of());
            List<String> old = new ArrayList<>();
            eachInstance(input.state(), (node, gpu, i) -> {
                if (i.demand() == null && own.contains(i.replica())) {
                    old.add(i.replica());
                }
            });
            if (old.isEmpty()) {
                return Optional.empty();
            }
            ClusterState state = mapInstances(
                    input.state(),
                    i -> i.demand() == null && own.contains(i.replica())
                            ? InstanceState.free(i.profile(), i.start())
                            : i);
            Plan with = planWith(d, state);
            int gained = satisfied(with, d) - base;
            if (gained <= 0) {
                return Optional.empty();
            }
            InferenceDeployment deployment = input.deployments().get(d.name());
            String now = deployment == null
                    ? ""
                    : " (now " + InferenceDeploymentPodDisruptionBudgetDependentResource.maxUnavailable(deployment)
                            + ", at most " + d.replicas() + ")";
            return Optional.of("raise spec.maxUnavailable" + now + " so that the " + old.size()
                    + " replicas of the old spec go before their replacements are Ready and free their slices: "
                    + more(gained) + taking(losers(with)));
        }

        Optional<String> nodes() {
            if (d.eligibleNodes() == null) {
                return Optional.empty();
            }
            Plan with = planWith(withNodes(d, null), input.state());
            int gained = satisfied(with, d) - base;
            if (gained <= 0) {
                return Optional.empty();
            }
            Set<String> outside = with.assignments().stream()
                    .filter(a -> a.demand().equals(d.name()) && !d.eligible(a.node()))
                    .map(Assignment::node)
                    .collect(Collectors.toCollection(TreeSet::new));
            return Optional.of("let it run on " + String.join(", ", outside)
                    + " (spec.worker.nodeSelector or the taints it does not tolerate keep it off): " + more(gained)
                    + taking(losers(with)));
        }

        Optional<String> gpuModel() {
            if (d.gpuModel() == null) {
                return Optional.empty();
            }
            Plan with = planWith(withModel(d, null), input.state());
            int gained = satisfied(with, d) - base;
            if (gained <= 0) {
                return Optional.empty();
            }
            Map<String, GpuModel> models = new TreeMap<>();
            input.inventory().nodes().values().forEach(n -> models.put(n.name(), n.model()));
            Set<String> others = with.assignments().stream()
                    .filter(a -> a.demand().equals(d.name()))
                    .map(a -> models.get(a.node()))
                    .filter(m -> m != null && m != d.gpuModel())
                    .map(GpuModel::displayName)
                    .collect(Collectors.toCollection(TreeSet::new));
            return Optional.of("drop spec.slice.gpuModel " + d.gpuModel().displayName() + ": " + more(gained) + " on "
                    + String.join(", ", others) + " GPUs" + taking(losers(with)));
        }

        Optional<String> capacity() {
            Optional<GpuNode> template = input.inventory().nodes().values().stream()
                    .filter(n -> !input.inventory().lostNodes().contains(n.name()))
                    .filter(n -> d.eligible(n.name()) && usable(n.model()))
                    .max(Comparator.comparingInt(GpuNode::gpuCount)
                            .thenComparing(GpuNode::name, Comparator.reverseOrder()));
            GpuModel model;
            int gpus;
            if (template.isPresent()) {
                model = template.get().model();
                gpus = template.get().gpuCount();
            } else {
                Optional<GpuModel> first =
                        GpuModel.builtIns().stream().filter(this::usable).findFirst();
                if (first.isEmpty()) {
                    return Optional.empty();
                }
                model = first.get();
                gpus = 1;
            }
            String name = "(a new node)";
            List<GpuState> empty = new ArrayList<>();
            for (int i = 0; i < gpus; i++) {
                empty.add(new GpuState(i, model, List.of()));
            }
            List<NodeState> nodes = new ArrayList<>(input.state().nodes());
            nodes.add(new NodeState(name, empty, false));
            Set<String> eligible = null;
            if (d.eligibleNodes() != null) {
                eligible = new HashSet<>(d.eligibleNodes());
                eligible.add(name);
            }
            Plan with = planWith(withNodes(d, eligible), new ClusterState(nodes));
            int gained = satisfied(with, d) - base;
            if (gained <= 0) {
                return Optional.empty();
            }
            if (template.isPresent()) {
                return Optional.of("add a node like " + template.get().name() + " (" + gpus + " x "
                        + model.displayName() + "): " + more(gained) + " there" + taking(losers(with)));
            }
            String usable = GpuModel.builtIns().stream()
                    .filter(this::usable)
                    .map(GpuModel::displayName)
                    .collect(Collectors.joining(", "));
            return Optional.of("add GPUs of a model this deployment can use (" + usable + "): one "
                    + model.displayName() + " fits " + gained);
        }

        private boolean usable(GpuModel model) {
            return (d.gpuModel() == null || d.gpuModel() == model)
                    && d.profileOn(model).isPresent();
        }

        private String taking(List<String> losers) {
            return losers.isEmpty() ? "" : ", taking slices from " + String.join(", ", losers);
        }

        /** Other deployments that get fewer replicas in {@code with} than in the plan, with how many fewer. */
        private List<String> losers(Plan with) {
            List<String> losers = new ArrayList<>();
            for (Demand o : input.demandList()) {
                if (o.name().equals(d.name())) {
                    continue;
                }
                int lost = satisfied(plan, o) - satisfied(with, o);
                if (lost > 0) {
                    losers.add(o.name() + " (" + lost + " fewer, priority " + o.priority() + ")");
                }
            }
            return losers;
        }
    }

    static int satisfied(Plan plan, Demand d) {
        int missing = plan.unsatisfied().stream()
                .filter(u -> u.demand().equals(d.name()))
                .mapToInt(Unsatisfied::missing)
                .sum();
        return d.replicas() - missing;
    }

    private static String more(int n) {
        return n == 1 ? "1 more replica fits" : n + " more replicas fit";
    }

    private interface InstanceVisitor {
        void visit(NodeState node, GpuState gpu, InstanceState instance);
    }

    private static void eachInstance(ClusterState state, InstanceVisitor visitor) {
        for (NodeState n : state.nodes()) {
            for (GpuState g : n.gpus()) {
                for (InstanceState i : g.instances()) {
                    if (!i.isFree()) {
                        visitor.visit(n, g, i);
                    }
                }
            }
        }
    }

    private static ClusterState mapInstances(ClusterState state, UnaryOperator<InstanceState> change) {
        List<NodeState> nodes = new ArrayList<>();
        for (NodeState n : state.nodes()) {
            List<GpuState> gpus = new ArrayList<>();
            for (GpuState g : n.gpus()) {
                gpus.add(new GpuState(
                        g.index(),
                        g.model(),
                        g.instances().stream()
                                .map(i -> i.isFree() ? i : change.apply(i))
                                .toList(),
                        g.layoutFixed()));
            }
            nodes.add(new NodeState(n.name(), gpus, n.layoutFixed()));
        }
        return new ClusterState(nodes);
    }

    private static Demand withPriority(Demand d, int priority) {
        return new Demand(
                d.name(),
                d.profile(),
                d.memoryGiB(),
                d.replicas(),
                priority,
                d.gpuModel(),
                d.movable(),
                d.placement(),
                d.eligibleNodes(),
                d.keepNodes(),
                d.freeGpusFirst());
    }

    private static Demand withMovable(Demand d) {
        return new Demand(
                d.name(),
                d.profile(),
                d.memoryGiB(),
                d.replicas(),
                d.priority(),
                d.gpuModel(),
                true,
                d.placement(),
                d.eligibleNodes(),
                d.keepNodes(),
                d.freeGpusFirst());
    }

    private static Demand withNodes(Demand d, Set<String> eligible) {
        Set<String> keep = null;
        if (eligible != null && d.keepNodes() != null) {
            keep = new HashSet<>(d.keepNodes());
            keep.addAll(eligible);
        }
        return new Demand(
                d.name(),
                d.profile(),
                d.memoryGiB(),
                d.replicas(),
                d.priority(),
                d.gpuModel(),
                d.movable(),
                d.placement(),
                eligible,
                keep,
                d.freeGpusFirst());
    }

    private static Demand withModel(Demand d, GpuModel model) {
        return new Demand(
                d.name(),
                d.profile(),
                d.memoryGiB(),
                d.replicas(),
                d.priority(),
                model,
                d.movable(),
                d.placement(),
                d.eligibleNodes(),
                d.keepNodes(),
                d.freeGpusFirst());
    }
}
