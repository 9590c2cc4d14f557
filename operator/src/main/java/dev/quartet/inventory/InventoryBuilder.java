package dev.quartet.inventory;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.Instance;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Derives the planner's view of every MIG node from a cluster snapshot: per-GPU layouts (from MIG Manager's
 * config and the device plugin), which replica holds which slice (from pods), and which nodes must not be
 * repartitioned now. Where a pod's slice is unknown it assumes the worst: every GPU that may hold it keeps its layout.
 */
public final class InventoryBuilder {

    /**
     * The demands of valid InferenceDeployments by id ({@code ns/name}). A replica pod counts for its demand only
     * while its slice has the profile the demand resolves to on that GPU model; otherwise (a profile change being
     * rolled out, an invalid or deleted deployment) it is capacity in use that the planner must not count or move.
     */
    public record Owners(Map<String, Demand> demands) {
        boolean counts(String deployment, String profile, GpuModel model) {
            Demand d = demands.get(deployment);
            return d != null && d.profileOn(model).map(profile::equals).orElse(false);
        }

        boolean movable(String deployment) {
            return demands.get(deployment).movable();
        }
    }

    /** The operator's default for {@code quartet.node-lost-after} ({@code QuartetConfig#nodeLostAfter}). */
    public static final Duration DEFAULT_LOST_AFTER = Duration.ofSeconds(30);

    private final boolean repartitionEnabled;
    private final boolean allowMigModeChange;
    private final Duration lostAfter;
    private final NodeBackend.Choice backend;
    private final AgentReports agentReports;

    /** An inventory that never offers a GPU whose MIG mode is off to the planner. */
    public InventoryBuilder(boolean repartitionEnabled, Duration lostAfter) {
        this(repartitionEnabled, false, lostAfter);
    }

    /**
     * @param allowMigModeChange whether a GPU with MIG mode off may be planned (as an empty MIG GPU): turning MIG on
     *                           resets the GPU and may reboot the node, so it is offered only where every pod on the
     *                           node may be moved
     * @param lostAfter          how long a node may be not Ready before its replicas count as lost and are replaced
     *                           elsewhere (a kubelet restart or a short network blip should not move every replica)
     */
    public InventoryBuilder(boolean repartitionEnabled, boolean allowMigModeChange, Duration lostAfter) {
        this(repartitionEnabled, allowMigModeChange, lostAfter, NodeBackend.Choice.AUTO);
    }

    /** @param backend which nodes are used: MIG Manager's, the DRA driver's, or each as it offers itself */
    public InventoryBuilder(
            boolean repartitionEnabled, boolean allowMigModeChange, Duration lostAfter, NodeBackend.Choice backend) {
        this(repartitionEnabled, allowMigModeChange, lostAfter, backend, AgentReports.ANNOTATIONS);
    }

    /** @param agentReports which nodes' agent reports are taken ({@code quartet.node-agent.reports}) */
    public InventoryBuilder(
            boolean repartitionEnabled,
            boolean allowMigModeChange,
            Duration lostAfter,
            NodeBackend.Choice backend,
            AgentReports agentReports) {
        this.repartitionEnabled = repartitionEnabled;
        this.allowMigModeChange = allowMigModeChange;
        this.lostAfter = lostAfter;
        this.backend = backend;
        this.agentReports = agentReports;
    }

    /** The DRA nodes of the snapshot the backend choice lets Quartet use, by name. */
    private Map<String, DraNode> draNodes(ClusterSnapshot snapshot) {
        return backend.allows(NodeBackend.DRA)
                ? DraNode.of(snapshot.resourceSlices(), snapshot.resourceClaims(), snapshot.pods())
                : Map.of();
    }

    /**
     * The facts of every node Quartet may use, in name order: a node whose ResourceSlices of NVIDIA's DRA driver offer
     * MIG devices is a DRA node (with {@code auto}, even if it also has MIG Manager's labels: the driver destroys
     * every instance no claim holds when it starts, so MIG Manager's layout would not survive there); otherwise a
     * node with MIG Manager's labels is one of MIG Manager.
     */
    public List<GpuNode> gpuNodes(ClusterSnapshot snapshot) {
        return gpuNodes(snapshot, nodesAsReported(snapshot));
    }

    /**
     * The snapshot's nodes as planning reads them: with the node agent's annotations only where
     * {@code quartet.node-agent.reports} takes them ({@link AgentReports#view}).
     */
    private List<Node> nodesAsReported(ClusterSnapshot snapshot) {
        Set<String> agents = agentReports.nodesWithAgent(snapshot.pods());
        return snapshot.nodes().stream().map(n -> agentReports.view(n, agents)).toList();
    }

    private List<GpuNode> gpuNodes(ClusterSnapshot snapshot, List<Node> nodes) {
        Map<String, DraNode> dra = draNodes(snapshot);
        List<GpuNode> out = new ArrayList<>();
        for (Node node : nodes) {
            DraNode d = dra.get(node.getMetadata().getName());
            if (d != null) {
                out.add(GpuNode.fromDra(node, d));
            } else if (backend.allows(NodeBackend.MIG_MANAGER)) {
                GpuNode.from(node).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(GpuNode::name));
        return out;
    }

    public Inventory build(ClusterSnapshot snapshot, Owners owners, Instant now) {
        List<Node> nodes = nodesAsReported(snapshot);
        return build(snapshot, nodes, gpuNodes(snapshot, nodes), owners, now);
    }

    /** The same, with {@code gpuNodes} the {@link #gpuNodes} of this snapshot that the caller has already. */
    public Inventory build(ClusterSnapshot snapshot, List<GpuNode> gpuNodes, Owners owners, Instant now) {
        return build(snapshot, nodesAsReported(snapshot), gpuNodes, owners, now);
    }

    private Inventory build(
            ClusterSnapshot snapshot, List<Node> reportedNodes, List<GpuNode> gpuNodes, Owners owners, Instant now) {
        Map<String, List<Pod>> podsByNode = new HashMap<>();
        for (Pod pod : snapshot.pods()) {
            // A terminating pod's slice is about to be free: planning treats it so; the MIG backend still waits
            // for it to be gone before it changes that GPU.
            if (PodFacts.isBound(pod)
                    && !PodFacts.isFinished(pod)
                    && !PodFacts.isTerminating(pod)
                    && PodFacts.usesNvidiaResources(pod)) {
                podsByNode
                        .computeIfAbsent(PodFacts.node(pod), n -> new ArrayList<>())
                        .add(pod);
            }
        }
        List<NodeState> states = new ArrayList<>();
        Map<String, GpuNode> nodes = new TreeMap<>();
        Map<String, NodeReadiness> readiness = new TreeMap<>();
        Map<String, String> notes = new TreeMap<>();
        Map<String, Set<Integer>> migOff = new TreeMap<>();
        Map<String, String> migOffUnused = new TreeMap<>();
        Map<String, String> pessimistic = new TreeMap<>();
        Set<String> lost = new HashSet<>();
        Map<String, DraNode> dra = draNodes(snapshot);
        Map<String, DraNode> draUsed = new TreeMap<>();
        Map<String, Pod> livePods = new HashMap<>();
        snapshot.pods().stream().filter(p -> !PodFacts.isFinished(p)).forEach(p -> livePods.put(PodFacts.id(p), p));
        Set<String> planned = new HashSet<>();
        gpuNodes.forEach(n -> planned.add(n.name()));
        for (Node node : reportedNodes) {
            // A MIG node of a GPU model Quartet neither knows nor learns from its node agent: not planned, and why
            // (a node of gpuNodes, DRA's among them, has its model: its agent report is not read a second time).
            if (!planned.contains(node.getMetadata().getName())) {
                GpuNode.unplannedWhy(node)
                        .ifPresent(why -> notes.put(node.getMetadata().getName(), why));
            }
        }
        for (GpuNode n : gpuNodes) {
            nodes.put(n.name(), n);
            if (!n.ready() && !n.readyChangedAt().plus(lostAfter).isAfter(now)) {
                lost.add(n.name());
                continue;
            }
            if (n.backend() == NodeBackend.DRA) {
                DraNodeView view = new DraNodeView(n, dra.get(n.name()), livePods, owners);
                draUsed.put(n.name(), dra.get(n.name()));
                states.add(view.state());
                readiness.put(n.name(), view.readiness());
                if (view.note() != null) {
                    notes.put(n.name(), view.note());
                }
                continue;
            }
            NodeView view = new NodeView(
                    n,
                    snapshot.migConfig(),
                    podsByNode.getOrDefault(n.name(), List.of()),
                    owners,
                    now,
                    repartitionEnabled,
                    allowMigModeChange);
            states.add(view.state());
            readiness.put(n.name(), view.readiness());
            if (view.note() != null) {
                notes.put(n.name(), view.note());
            }
            if (!view.migOff().isEmpty()) {
                migOff.put(n.name(), Collections.unmodifiableSortedSet(new TreeSet<>(view.migOff())));
            }
            if (view.migOffUnused() != null) {
                migOffUnused.put(n.name(), view.migOffUnused());
            }
            pessimistic.putAll(view.pessimistic());
        }
        return new Inventory(
                new ClusterState(states), nodes, readiness, notes, lost, migOff, migOffUnused, draUsed, pessimistic);
    }

    /** The derivation for one Ready node. */
    private static final class NodeView {
        private final GpuNode node;
        private final List<Pod> pods;
        private final Owners owners;
        private NodeReadiness readiness = NodeReadiness.READY;
        private boolean layoutFixed;
        private String note;
        private final NodeState state;
        private final Set<Integer> migOff = new TreeSet<>();
        private String migOffUnused;
        private final AgentReport agent;
        /** Per GPU, the instances the node agent reports (exact placements); empty without an agent. */
        private final Map<Integer, List<Instance>> agentInstances = new TreeMap<>();
        /** Pods pinned pessimistically (no agent): why, by pod id. */
        private final Map<String, String> pessimistic = new TreeMap<>();

        NodeView(
                GpuNode node,
                MigPartedConfig config,
                List<Pod> pods,
                Owners owners,
                Instant now,
                boolean repartitionEnabled,
                boolean allowMigModeChange) {
            this.node = node;
            this.pods = pods.stream().sorted(Comparator.comparing(PodFacts::id)).toList();
            this.owners = owners;
            this.agent = AgentReport.of(node);
            this.layoutFixed = !repartitionEnabled;
            if (!node.ready()) {
                fix(
                        NodeReadiness.NOT_READY,
                        "not Ready since " + node.readyChangedAt() + "; its replicas are replaced " + "if it stays so");
            }
            if (!node.schedulable()) {
                fix(NodeReadiness.CORDONED, "cordoned");
            }
            Map<Integer, Map<String, Integer>> counts = perGpuCounts(config);
            this.migOffUnused = migOff.isEmpty() ? null : migOffUnused(allowMigModeChange);
            this.state = new NodeState(node.name(), gpus(counts), false);
            if (node.annotation(QuartetLabels.NODE_CONFIG) == null
                    && pods.stream().anyMatch(p -> deploymentOf(p) == null)) {
                fix(null, "not adopted: other GPU workloads run on this node, its layout is kept as is");
            }
            if (RepartitionBackoff.active(node, now)) {
                fix(
                        null,
                        "repartitioning paused after a failure until "
                                + RepartitionBackoff.until(node).orElseThrow());
            }
            if (note == null) {
                note = migOffUnused;
            }
            if (note == null) {
                note = agent.problem();
            }
        }

        Map<String, String> pessimistic() {
            return pessimistic;
        }

        NodeState state() {
            return layoutFixed && !state.layoutFixed() ? new NodeState(state.name(), state.gpus(), true) : state;
        }

        NodeReadiness readiness() {
            return readiness;
        }

        String note() {
            return note;
        }

        Set<Integer> migOff() {
            return migOff;
        }

        String migOffUnused() {
            return migOffUnused;
        }

        /**
         * Why the GPUs with MIG mode off are not offered to the planner, or null when they are (as empty MIG GPUs). A
         * mode change resets the GPU and, with MIG Manager's WITH_REBOOT, reboots the node, so it is offered only when
         * allowed and when every GPU pod on the node is a replica Quartet may move: the node is then drained whole.
         */
        private String migOffUnused(boolean allowMigModeChange) {
            String gpus = "GPU(s) " + migOff + " of " + node.name() + " have MIG mode off";
            if (!allowMigModeChange) {
                return gpus + "; Quartet changes MIG mode only when the chart value migManager.allowMigModeChange is"
                        + " true (a mode change resets the GPU and may reboot the node)";
            }
            Optional<Pod> fixed = pods.stream()
                    .filter(p -> {
                        String d = deploymentOf(p);
                        return d == null
                                || PodFacts.migProfile(p).isEmpty()
                                || !owners.demands().containsKey(d)
                                || !owners.movable(d);
                    })
                    .findFirst();
            return fixed.map(p -> gpus + "; turning MIG on restarts every pod on the node, and pod " + PodFacts.id(p)
                            + " may not be moved")
                    .orElse(null);
        }

        private void fix(NodeReadiness r, String why) {
            layoutFixed = true;
            if (r != null && readiness == NodeReadiness.READY) {
                readiness = r;
            }
            if (note == null) {
                note = why;
            }
        }

        /**
         * Per-GPU profile counts: from the node agent's report where there is one (but from the selected config while
         * MIG Manager applies it and until Quartet has checked its layout), else from the selected mig-parted config,
         * else from what the device plugin shows.
         */
        private Map<Integer, Map<String, Integer>> perGpuCounts(MigPartedConfig config) {
            String state = node.migState();
            if (NvidiaLabels.STATE_PENDING.equals(state) || NvidiaLabels.STATE_REBOOTING.equals(state)) {
                fix(NodeReadiness.REPARTITIONING, "MIG Manager is applying " + node.migConfig());
            } else if (NvidiaLabels.STATE_FAILED.equals(state)) {
                fix(NodeReadiness.FAILED, "MIG Manager failed to apply " + node.migConfig());
            }
            // While MIG Manager applies a config, until Quartet has checked the layout of a config it selected (the
            // agent reports a change about a second after it happens), and in the pass before Quartet records a
            // failure and rolls back, the agent's report shows GPUs on their way, not a layout: the node is planned
            // with the config it is heading to, as on a node without an agent. Else the plan would drop the replicas
            // waiting for the new slices the moment the config is selected, and the node loop, which reads the
            // deployments a change is for from the plan, would record a timeout, failure or mismatch for none of
            // them. Once the layout is checked (or a failure recorded, which leaves the GPUs as they are) the agent's
            // layout is the node's.
            boolean quartets =
                    node.migConfig() != null && node.migConfig().equals(node.annotation(QuartetLabels.NODE_CONFIG));
            boolean inFlux = NvidiaLabels.STATE_PENDING.equals(state)
                    || NvidiaLabels.STATE_REBOOTING.equals(state)
                    || (NvidiaLabels.STATE_SUCCESS.equals(state)
                            && quartets
                            && node.annotation(QuartetLabels.NODE_LAYOUT_CHECK) != null)
                    || RepartitionBackoff.unrecordedFailure(node);
            if (agent.present() && !inFlux) {
                return fromAgent();
            }
            Map<Integer, Map<String, Integer>> fromConfig = fromConfig(config, node.migConfig());
            if (fromConfig == null && agent.present()) {
                // a config Quartet does not know the content of: what NVML shows is all there is
                return fromAgent();
            }
            if (fromConfig != null) {
                if (readiness == NodeReadiness.READY && !totals(fromConfig).equals(nonZero(node.allocatableSlices()))) {
                    fix(
                            NodeReadiness.SETTLING,
                            "the device plugin does not advertise the slices of " + node.migConfig() + " yet");
                }
                return fromConfig;
            }
            if (node.wholeGpus() > 0 && node.wholeGpus() < node.gpuCount()) {
                fix(
                        NodeReadiness.UNKNOWN_LAYOUT,
                        "per-GPU layout unknown: config '" + node.migConfig() + "' not found and " + node.wholeGpus()
                                + " of " + node.gpuCount() + " GPUs have MIG mode off (which ones cannot be told)");
                return Map.of();
            }
            if (node.wholeGpus() > 0 && node.wholeGpus() >= node.gpuCount()) {
                for (int i = 0; i < node.gpuCount(); i++) {
                    migOff.add(i);
                }
            }
            Map<Integer, Map<String, Integer>> uniform = uniformFromAllocatable();
            if (uniform != null) {
                if (node.gpuCount() > 1 && !nonZero(node.allocatableSlices()).isEmpty()) {
                    // An even split of the node's slices may not be each GPU's layout (4 x 1g on one GPU and 2 x 2g
                    // on the other look like 2 x 1g + 1 x 2g on each): a config written from it would have MIG
                    // Manager change GPUs the plan leaves alone, without a drain.
                    fix(
                            null,
                            "per-GPU layout guessed from the advertised slices (config '" + node.migConfig()
                                    + "' is not in the mig-parted ConfigMap): not repartitioned until a config there names "
                                    + "it");
                }
                return uniform;
            }
            fix(
                    NodeReadiness.UNKNOWN_LAYOUT,
                    "per-GPU layout unknown: config '" + node.migConfig()
                            + "' not found and the advertised slices do not split evenly over " + node.gpuCount()
                            + " GPUs");
            return Map.of();
        }

        /**
         * Per-GPU profile counts and MIG mode as the node agent reports them from NVML: the real layout, whatever
         * config MIG Manager was asked to apply (after its {@code success}, LayoutCheck compares the two), except while
         * MIG Manager is at work (see {@link #perGpuCounts}). The exact instances are kept for {@link #instancesOf}.
         */
        private Map<Integer, Map<String, Integer>> fromAgent() {
            Map<Integer, Map<String, Integer>> counts = new TreeMap<>();
            for (int i = 0; i < node.gpuCount(); i++) {
                NodeAgentReport.Gpu g = agent.gpu(i).orElseThrow();
                boolean on = g.migCapable() && g.migEnabled();
                if (!on) {
                    migOff.add(i);
                }
                if (g.migCapable() && g.migEnabled() != g.migPendingEnabled()) {
                    fix(
                            null,
                            "GPU " + i + ": the node agent reports MIG mode turning " + (on ? "off" : "on")
                                    + " at the next GPU reset");
                }
                Map<String, Integer> c = new TreeMap<>();
                List<Instance> exact = new ArrayList<>();
                if (on) {
                    for (NodeAgentReport.Instance in : AgentReport.instances(g)) {
                        if (in.profile() == null
                                || node.model().profile(in.profile()).isEmpty()) {
                            fix(
                                    null,
                                    "GPU " + i + ": the node agent reports an instance at " + in.start() + " of "
                                            + (in.profile() == null
                                                    ? "GI profile id " + in.profileId() + ", which has no name"
                                                    : "profile " + in.profile() + ", which Quartet's table of "
                                                            + node.model() + " lacks")
                                            + ": the node keeps its layout");
                            continue;
                        }
                        c.merge(in.profile(), 1, Integer::sum);
                        exact.add(new Instance(in.profile(), in.start()));
                    }
                }
                exact.sort(Comparator.comparingInt(Instance::start));
                counts.put(i, c);
                agentInstances.put(i, exact);
            }
            if (readiness == NodeReadiness.READY && !totals(counts).equals(nonZero(node.allocatableSlices()))) {
                fix(
                        NodeReadiness.SETTLING,
                        "the device plugin does not advertise the slices the node agent reports yet");
            }
            return counts;
        }

        private Map<Integer, Map<String, Integer>> fromConfig(MigPartedConfig config, String name) {
            if (config == null || name == null || !config.configs().containsKey(name)) {
                return null;
            }
            Set<Integer> off = new TreeSet<>();
            Map<Integer, Map<String, Integer>> counts = new TreeMap<>();
            for (int i = 0; i < node.gpuCount(); i++) {
                Optional<MigConfigSpec> g = config.entryFor(name, i, node.model());
                if (g.isEmpty()) {
                    return null;
                }
                Map<String, Integer> c = new TreeMap<>();
                if (!g.get().migEnabled()) {
                    off.add(i);
                }
                if (g.get().migEnabled()) {
                    g.get().migDevices().forEach((p, k) -> {
                        if (k > 0) {
                            // as the device plugin names it: 1c.1g.6gb in a config is 1g.6gb (mig-parted's matching)
                            String profile = node.model()
                                    .migTable()
                                    .matching(p)
                                    .map(MigProfile::name)
                                    .orElse(p);
                            c.merge(profile, k, Integer::sum);
                        }
                    });
                }
                counts.put(i, c);
            }
            migOff.addAll(off);
            return counts;
        }

        private Map<Integer, Map<String, Integer>> uniformFromAllocatable() {
            if (node.gpuCount() <= 0) {
                return null;
            }
            Map<String, Integer> each = new TreeMap<>();
            for (Map.Entry<String, Integer> e :
                    nonZero(node.allocatableSlices()).entrySet()) {
                if (e.getValue() % node.gpuCount() != 0) {
                    return null;
                }
                each.put(e.getKey(), e.getValue() / node.gpuCount());
            }
            Map<Integer, Map<String, Integer>> counts = new TreeMap<>();
            for (int i = 0; i < node.gpuCount(); i++) {
                counts.put(i, each);
            }
            return counts;
        }

        private static Map<String, Integer> totals(Map<Integer, Map<String, Integer>> counts) {
            Map<String, Integer> t = new TreeMap<>();
            counts.values().forEach(m -> m.forEach((p, k) -> t.merge(p, k, Integer::sum)));
            return t;
        }

        private static Map<String, Integer> nonZero(Map<String, Integer> m) {
            Map<String, Integer> t = new TreeMap<>();
            m.forEach((p, k) -> {
                if (k > 0) {
                    t.put(p, k);
                }
            });
            return t;
        }

        private List<GpuState> gpus(Map<Integer, Map<String, Integer>> counts) {
            Map<Integer, List<Pod>> known = new TreeMap<>();
            List<Pod> unknown = new ArrayList<>();
            for (Pod pod : pods) {
                Optional<ReplicaSlice> slice = ReplicaSlice.of(pod);
                if (slice.isPresent() && slice.get().gpu() >= 0 && slice.get().gpu() < node.gpuCount()) {
                    known.computeIfAbsent(slice.get().gpu(), g -> new ArrayList<>())
                            .add(pod);
                } else if (PodFacts.migProfile(pod).isPresent()) {
                    unknown.add(pod);
                }
            }
            List<List<InstanceState>> perGpu = new ArrayList<>();
            for (int i = 0; i < node.gpuCount(); i++) {
                perGpu.add(instancesOf(i, counts.getOrDefault(i, Map.of()), known.getOrDefault(i, List.of())));
            }
            Set<Integer> pinned = new TreeSet<>();
            for (Pod pod : unknown) {
                occupyPessimistically(perGpu, pod, pinned);
            }
            List<GpuState> gpus = new ArrayList<>();
            for (int i = 0; i < node.gpuCount(); i++) {
                if (migOff.contains(i) && migOffUnused != null) {
                    // Not capacity: the planner never sees it, so it is never written mig-enabled: true.
                    continue;
                }
                List<InstanceState> instances = perGpu.get(i);
                if (readiness == NodeReadiness.CORDONED || readiness == NodeReadiness.NOT_READY) {
                    // Held by a foreign placeholder, one name per instance (the planner refuses a name twice).
                    int gpu = i;
                    instances = instances.stream()
                            .map(s -> s.isFree()
                                    ? new InstanceState(
                                            s.profile(),
                                            s.start(),
                                            "unavailable/" + node.name() + "/" + gpu + "@" + s.start(),
                                            null,
                                            false)
                                    : s)
                            .toList();
                }
                gpus.add(new GpuState(i, node.model(), instances, pinned.contains(i)));
            }
            return gpus;
        }

        private List<InstanceState> instancesOf(int gpu, Map<String, Integer> counts, List<Pod> podsOnGpu) {
            List<Instance> knownInstances = new ArrayList<>();
            Map<Instance, Pod> holder = new HashMap<>();
            for (Pod pod : podsOnGpu) {
                ReplicaSlice s = ReplicaSlice.of(pod).orElseThrow();
                Instance instance = new Instance(s.profile(), s.start());
                if (holder.putIfAbsent(instance, pod) == null) {
                    knownInstances.add(instance);
                }
            }
            List<Instance> exact = agentInstances.get(gpu);
            Optional<List<Instance>> layout = exact == null
                    ? LayoutPlacement.place(node.model(), counts, knownInstances)
                    : exact.containsAll(knownInstances) ? Optional.of(exact) : Optional.empty();
            List<Instance> instances;
            if (layout.isPresent()) {
                instances = layout.get();
            } else {
                fix(
                        null,
                        "GPU " + gpu + ": the slices pods report do not match the "
                                + (exact == null ? "configured layout" : "instances the node agent reports"));
                instances = knownInstances.stream()
                        .sorted(Comparator.comparingInt(Instance::start))
                        .toList();
            }
            List<InstanceState> states = new ArrayList<>();
            for (Instance i : instances) {
                Pod pod = holder.get(i);
                states.add(pod == null ? InstanceState.free(i.profile(), i.start()) : held(i, pod));
            }
            return states;
        }

        /**
         * A pod whose slice nobody reported (no {@code quartet.dev/mig-device}) holds the first free instance of its
         * profile, which keeps the counts right, and every GPU with an instance of that profile keeps its layout, since
         * the pod may run on any of them. GPUs without one cannot hold it and may still be repartitioned. A pod no free
         * instance of its profile can account for keeps the whole node's layout.
         *
         * <p>On a node with a node agent this is a short wait (the kubelet admitted the pod, the agent has not
         * written its annotation yet) and is said so; on a node without one it lasts as long as the pod: the pod is
         * pinned pessimistically (docs/contracts.md), which the status of its InferenceDeployment says.
         */
        private void occupyPessimistically(List<List<InstanceState>> perGpu, Pod pod, Set<Integer> pinned) {
            String profile = PodFacts.migProfile(pod).orElseThrow();
            boolean placed = false;
            List<Integer> mayHold = new ArrayList<>();
            for (int g = 0; g < perGpu.size(); g++) {
                List<InstanceState> gpu = perGpu.get(g);
                for (int j = 0; j < gpu.size(); j++) {
                    InstanceState s = gpu.get(j);
                    if (!s.profile().equals(profile)) {
                        continue;
                    }
                    if (!mayHold.contains(g)) {
                        mayHold.add(g);
                    }
                    if (!placed && s.isFree()) {
                        gpu.set(j, held(s.instance(), pod));
                        placed = true;
                    }
                }
            }
            String id = PodFacts.id(pod);
            String why;
            if (agent.present()) {
                why = "the node agent has not reported the MIG device of pod " + id + " yet: "
                        + (placed
                                ? "GPU(s) " + mayHold + " (with " + profile
                                        + " instances) keep their layout until it does"
                                : "no free " + profile + " instance accounts for it, the node keeps its layout");
            } else {
                why = "node " + node.name() + " runs no Quartet node agent"
                        + (agent.problem() == null ? "" : " (" + agent.problem() + ")")
                        + ": the MIG device of pod " + id + " is not known, so "
                        + (placed
                                ? "GPU(s) " + mayHold + " (with " + profile + " instances) are pinned pessimistically"
                                : "no free " + profile + " instance accounts for it and the whole node is pinned "
                                        + "pessimistically");
                pessimistic.put(id, why);
            }
            if (!placed) {
                fix(null, why);
                return;
            }
            pinned.addAll(mayHold);
            if (note == null) {
                note = why;
            }
        }

        private InstanceState held(Instance instance, Pod pod) {
            String deployment = deploymentOf(pod);
            boolean ours = deployment != null && owners.counts(deployment, instance.profile(), node.model());
            return new InstanceState(
                    instance.profile(),
                    instance.start(),
                    PodFacts.id(pod),
                    ours ? deployment : null,
                    ours && owners.movable(deployment));
        }
    }

    /** The {@code ns/name} of the InferenceDeployment a Quartet replica pod belongs to, or null for other pods. */
    public static String deploymentOf(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        if (labels == null || !QuartetLabels.MANAGED_BY_VALUE.equals(labels.get(QuartetLabels.MANAGED_BY))) {
            return null;
        }
        String name = labels.get(QuartetLabels.DEPLOYMENT);
        return name == null ? null : pod.getMetadata().getNamespace() + "/" + name;
    }
}
