package dev.quartet.preview;

import dev.quartet.demand.NodeEligibility;
import dev.quartet.demand.SpecValidator;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.WorkerSpec;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Why each replica of one InferenceDeployment is where it is, or has no slice: for running replicas, kept, moved,
 * pre-empted or removed and why; for new ones, where and whether their GPU is repartitioned first; for a shortfall,
 * the planner's reason, what would fit, and every GPU it could not use with the reason. Pure: derived from the
 * planning input, the plan and the deployment's pods.
 */
public final class ReplicaExplainer {

    /** One line of an explanation: what it is about (a replica, GPUs) and the sentence. */
    public record Line(String subject, String text) {}

    /**
     * @param summary  what the deployment asks for, or why it is not planned
     * @param replicas one line per replica pod and per replica to create
     * @param pending  the shortfall, or null
     * @param unusable for a shortfall, the GPUs it could not use, grouped per node and reason
     */
    public record Explanation(
            String deployment, String summary, List<Line> replicas, PlanPreview.Pending pending, List<Line> unusable) {}

    private ReplicaExplainer() {}

    public static Explanation explain(PlanningInput input, Plan plan, PlanPreview preview, List<Pod> pods, String id) {
        InferenceDeployment deployment = input.deployments().get(id);
        Demand d = input.demands().get(id);
        List<Pod> own = pods.stream()
                .filter(p -> id.equals(InventoryBuilder.deploymentOf(p)))
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        if (d == null) {
            String why = deployment == null ? "no InferenceDeployment " + id : notPlanned(deployment);
            List<Line> lines = new ArrayList<>();
            own.forEach(p -> lines.add(new Line(
                    p.getMetadata().getName(),
                    (PodFacts.isBound(p) ? "runs on " + PodFacts.node(p) : "not on a node")
                            + ": capacity in use that Quartet does not move")));
            return new Explanation(id, why, lines, null, List.of());
        }
        Context c = new Context(input, plan, preview, d);
        List<Line> lines = new ArrayList<>();
        Map<String, List<Pod>> waiting = new TreeMap<>();
        for (Pod p : own) {
            if (!PodFacts.isBound(p) && !PodFacts.isTerminating(p) && !PodFacts.isFinished(p)) {
                waiting.computeIfAbsent(String.valueOf(PodFacts.plannedNode(p)), k -> new ArrayList<>())
                        .add(p);
            } else {
                lines.add(c.running(p));
            }
        }
        for (PlanPreview.Move m : preview.moved()) {
            if (m.deployment().equals(id)) {
                lines.add(c.created(m.to(), waiting, "replacing " + name(m.replica())));
            }
        }
        for (PlanPreview.NewReplica n : preview.placed()) {
            if (n.deployment().equals(id)) {
                lines.add(c.created(n.slot(), waiting, null));
            }
        }
        waiting.values()
                .forEach(left -> left.forEach(p -> lines.add(new Line(
                        p.getMetadata().getName(),
                        "created for node " + PodFacts.plannedNode(p)
                                + ", which the plan no longer places it on: Quartet deletes it"))));
        Optional<PlanPreview.Pending> pending = preview.pending().stream()
                .filter(p -> p.deployment().equals(id))
                .findFirst();
        List<Line> unusable = pending.isPresent() ? c.unusableGpus(deployment) : List.of();
        return new Explanation(id, summary(d), lines, pending.orElse(null), unusable);
    }

    private static String notPlanned(InferenceDeployment d) {
        if (d.getMetadata().getDeletionTimestamp() != null) {
            return "being deleted: its replicas are not planned";
        }
        List<String> problems = SpecValidator.validateDeployment(d);
        if (!problems.isEmpty()) {
            return "invalid spec, nothing is planned for it: " + String.join("; ", problems);
        }
        return "stopped by a Service or PodDisruptionBudget of its name that is not its own (NameConflict):"
                + " nothing is planned for it";
    }

    private static String summary(Demand d) {
        String slice = d.profile() != null
                ? d.profile()
                : d.memoryGiB() + " GiB (the smallest profile that holds it on each GPU model)";
        return d.replicas() + (d.replicas() == 1 ? " replica of " : " replicas of ") + slice
                + (d.gpuModel() == null ? "" : " on " + d.gpuModel().displayName() + " GPUs")
                + ", priority " + d.priority() + ", " + d.placement().displayName()
                + (d.movable() ? ", movable" : ", not movable")
                + (d.eligibleNodes() == null
                        ? ""
                        : ", new replicas only on " + String.join(", ", new TreeSet<>(d.eligibleNodes())));
    }

    private static String name(String replicaId) {
        return replicaId.substring(replicaId.indexOf('/') + 1);
    }

    /** The plan and state, indexed for one deployment. */
    private static final class Context {
        private final PlanningInput input;
        private final Plan plan;
        private final PlanPreview preview;
        private final Demand d;
        private final Map<String, GpuPlan> planned = new TreeMap<>();
        private final Map<String, List<Assignment>> assigned = new TreeMap<>();

        Context(PlanningInput input, Plan plan, PlanPreview preview, Demand d) {
            this.input = input;
            this.plan = plan;
            this.preview = preview;
            this.d = d;
            plan.gpus().forEach(g -> planned.put(key(g.node(), g.index()), g));
            plan.assignments()
                    .forEach(a -> assigned.computeIfAbsent(key(a.node(), a.gpu()), k -> new ArrayList<>())
                            .add(a));
        }

        Line running(Pod p) {
            String replica = PodFacts.id(p);
            String name = p.getMetadata().getName();
            if (PodFacts.isTerminating(p)) {
                return new Line(name, "terminating on " + PodFacts.node(p));
            }
            if (PodFacts.isFinished(p)) {
                return new Line(name, "ended (" + p.getStatus().getPhase() + "): Quartet replaces it");
            }
            String where = PodFacts.node(p)
                    + ReplicaSlice.of(p)
                            .map(s -> " GPU " + s.gpu() + " (" + s.profile() + " at slot " + s.start() + ", "
                                    + (s.uuid() == null ? "device not reported" : s.uuid()) + ")")
                            .orElse(" (its slice is not reported: Quartet assumes the worst)");
            if (input.inventory().lostNodes().contains(PodFacts.node(p))) {
                return new Line(name, "on " + where + ": the node is lost, Quartet replaces the replica elsewhere");
            }
            for (PlanPreview.Move m : preview.moved()) {
                if (m.replica().equals(replica)) {
                    GpuPlan g = planned.get(key(m.from().node(), m.from().gpu()));
                    return new Line(
                            name,
                            "runs on " + where + ": moves to " + m.to() + ", "
                                    + (g != null && g.repartition()
                                            ? "because its GPU is repartitioned to " + Layouts.describe(g.layout())
                                            : "because a deployment of higher priority takes its slice")
                                    + "; it is evicted once its replacement is Ready");
                }
            }
            for (PlanPreview.Preemption e : preview.preempted()) {
                if (e.replica().equals(replica)) {
                    return new Line(
                            name,
                            "runs on " + where + ": pre-empted, a deployment of higher priority takes its slice"
                                    + " and no other slice is left for it");
                }
            }
            for (PlanPreview.Removal r : preview.removed()) {
                if (r.replica().equals(replica)) {
                    return new Line(name, "runs on " + where + ": removed, " + r.why());
                }
            }
            boolean kept = plan.assignments().stream().anyMatch(a -> a.existing() && replica.equals(a.replica()));
            if (kept) {
                return new Line(name, "runs on " + where + ": kept where it runs");
            }
            String profile = PodFacts.replicaProfile(p);
            return new Line(
                    name,
                    "runs on " + where + ", from an older spec (profile " + profile
                            + "): the rollout replaces it once its replacement can run");
        }

        Line created(PlanPreview.Slot slot, Map<String, List<Pod>> waiting, String replacing) {
            List<Pod> onNode = waiting.get(slot.node());
            String subject = "(new)";
            String state = "to be created";
            if (onNode != null && !onNode.isEmpty()) {
                Pod p = onNode.remove(0);
                subject = p.getMetadata().getName();
                state = "created, waiting for the scheduler and the device plugin";
            }
            GpuPlan g = planned.get(key(slot.node(), slot.gpu()));
            StringBuilder text = new StringBuilder(state + " on " + slot);
            if (replacing != null) {
                text.append(", ").append(replacing);
            }
            if (g != null && g.repartition()) {
                GpuState now = gpu(slot.node(), slot.gpu());
                text.append(", after MIG Manager repartitions the GPU from ")
                        .append(now == null ? "its layout" : Layouts.describeCurrent(now.instances()))
                        .append(" to ")
                        .append(Layouts.describe(g.layout()));
            }
            if (!input.inventory().takesNewPods(slot.node())) {
                text.append("; the node takes no new pods now (")
                        .append(input.inventory().readiness().get(slot.node()))
                        .append(Optional.ofNullable(input.inventory().notes().get(slot.node()))
                                .map(n -> ": " + n)
                                .orElse(""))
                        .append(")");
            }
            return new Line(subject, text.toString());
        }

        /** Every GPU the short deployment could not get a slice on, with why, grouped per node and reason. */
        List<Line> unusableGpus(InferenceDeployment deployment) {
            List<Line> lines = new ArrayList<>();
            for (GpuNode n : new TreeMap<>(input.inventory().nodes()).values()) {
                NodeState state = input.state().nodes().stream()
                        .filter(s -> s.name().equals(n.name()))
                        .findFirst()
                        .orElse(null);
                String whole = wholeNode(n, state, deployment);
                if (whole != null) {
                    lines.add(new Line(
                            n.name() + " (" + n.gpuCount() + " x " + n.model().displayName() + ")", whole));
                    continue;
                }
                String profile = d.profileOn(n.model()).orElseThrow();
                Map<String, List<Integer>> byReason = new LinkedHashMap<>();
                for (GpuState g : state.gpus()) {
                    gpuReason(state, g, profile)
                            .ifPresent(why -> byReason.computeIfAbsent(why, k -> new ArrayList<>())
                                    .add(g.index()));
                }
                byReason.forEach((why, gpus) -> lines.add(new Line(
                        n.name() + " GPU " + gpus.stream().map(String::valueOf).collect(Collectors.joining(", ")),
                        why)));
            }
            return lines;
        }

        /** Why no GPU of the node can be used, or null when that depends on the GPU. */
        private String wholeNode(GpuNode n, NodeState state, InferenceDeployment deployment) {
            if (input.inventory().lostNodes().contains(n.name()) || state == null) {
                return "not Ready for longer than quartet.node-lost-after: Quartet places nothing there";
            }
            if (!d.eligible(n.name())) {
                return notEligible(n, deployment);
            }
            if (d.gpuModel() != null && d.gpuModel() != n.model()) {
                return "spec.slice.gpuModel is " + d.gpuModel().displayName() + "; its GPUs are "
                        + n.model().displayName();
            }
            if (d.profileOn(n.model()).isEmpty()) {
                return d.profile() != null
                        ? n.model().displayName() + " has no profile " + d.profile()
                        : "no " + n.model().displayName() + " profile holds " + d.memoryGiB() + " GiB";
            }
            return null;
        }

        private Optional<String> gpuReason(NodeState node, GpuState g, String profile) {
            GpuPlan target = planned.get(key(node.name(), g.index()));
            List<Assignment> on = assigned.getOrDefault(key(node.name(), g.index()), List.of());
            if (target == null) {
                return Optional.empty();
            }
            long slices = target.layout().stream()
                    .filter(i -> i.profile().equals(profile))
                    .count();
            long taken = on.stream().filter(a -> a.profile().equals(profile)).count();
            if (slices > taken) {
                return Optional.empty();
            }
            String holders = holders(on);
            if (target.repartition()) {
                return Optional.of("repartitioned to " + Layouts.describe(target.layout())
                        + (holders.isEmpty() ? "" : " for " + holders));
            }
            String layout = Layouts.describeCurrent(g.instances());
            String prefix = slices == 0
                    ? "keeps its layout " + layout + ", which has no " + profile + " slice: "
                    : "keeps its layout " + layout + ", every " + profile + " slice taken: ";
            if (node.layoutFixed()) {
                String note = input.inventory().notes().get(node.name());
                return Optional.of(prefix + "the node may not be repartitioned now ("
                        + (note != null ? note : input.inventory().readiness().get(node.name())) + ")");
            }
            if (g.layoutFixed()) {
                return Optional.of(prefix + "a pod whose slice Quartet cannot see may run on it");
            }
            Set<String> foreign = new TreeSet<>();
            Set<String> pinned = new TreeSet<>();
            for (InstanceState i : g.instances()) {
                if (i.isForeign()) {
                    foreign.add(i.replica());
                } else if (!i.isFree()) {
                    Demand owner = input.demands().get(i.demand());
                    if (owner != null && !owner.movable() && !owner.name().equals(d.name())) {
                        pinned.add(owner.name());
                    }
                }
            }
            if (!foreign.isEmpty()) {
                return Optional.of(prefix + "it runs pods Quartet does not move (" + String.join(", ", foreign) + ")");
            }
            if (!pinned.isEmpty()) {
                return Optional.of(prefix + "it runs replicas of " + String.join(", ", pinned)
                        + ", which may not move (movable: false)");
            }
            if (!holders.isEmpty()) {
                return Optional.of(prefix + "its slices hold " + holders);
            }
            return Optional.of(prefix + "repartitioning it would place no more replicas by priority");
        }

        private String holders(List<Assignment> on) {
            Map<String, Integer> count = new TreeMap<>();
            on.stream()
                    .filter(a -> !a.demand().equals(d.name()))
                    .forEach(a -> count.merge(a.demand(), 1, Integer::sum));
            return count.entrySet().stream()
                    .map(e -> e.getKey() + " (" + e.getValue() + ", priority "
                            + Optional.ofNullable(input.demands().get(e.getKey()))
                                    .map(Demand::priority)
                                    .orElse(0)
                            + ")")
                    .collect(Collectors.joining(", "));
        }

        private String notEligible(GpuNode n, InferenceDeployment deployment) {
            WorkerSpec worker = deployment == null || deployment.getSpec() == null
                    ? null
                    : deployment.getSpec().getWorker();
            List<String> why = new ArrayList<>();
            Map<String, String> selector =
                    worker == null || worker.getNodeSelector() == null ? Map.of() : worker.getNodeSelector();
            selector.forEach((k, v) -> {
                String has = n.labels().get(k);
                if (!v.equals(has)) {
                    why.add("spec.worker.nodeSelector " + k + "=" + v + " does not match (the node has "
                            + (has == null ? "no " + k : k + "=" + has) + ")");
                }
            });
            List<Toleration> tolerations = worker == null ? null : worker.getTolerations();
            for (Taint t : n.taints()) {
                if (("NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect()))
                        && (tolerations == null
                                || tolerations.stream().noneMatch(x -> NodeEligibility.tolerates(x, t)))) {
                    why.add("it does not tolerate the taint " + t.getKey()
                            + (t.getValue() == null || t.getValue().isEmpty() ? "" : "=" + t.getValue()) + ":"
                            + t.getEffect());
                }
            }
            return why.isEmpty() ? "not eligible for new replicas" : String.join("; ", why);
        }

        private GpuState gpu(String node, int index) {
            return input.state().nodes().stream()
                    .filter(n -> n.name().equals(node))
                    .flatMap(n -> n.gpus().stream())
                    .filter(g -> g.index() == index)
                    .findFirst()
                    .orElse(null);
        }
    }

    private static String key(String node, int gpu) {
        return node + "\u0000" + gpu;
    }
}
