package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfileTable;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Simulated NVIDIA MIG GPU nodes on a real Kubernetes API server. Plays GPU Feature Discovery (labels), the device
 * plugin (capacity and device choice), MIG Manager (the {@code nvidia.com/mig.config} protocol) and the kubelet
 * (Ready heartbeats, pods Running/Ready, devices freed on delete, its PodResources API). One event-loop thread owns
 * all state. Each node runs Quartet's node agent, which alone writes the pods' MIG devices and the node's real
 * layout ({@link SimulatedNodeAgents}), unless {@link SimulatorOptions#noAgentNodes()} names it.
 *
 * <pre>{@code
 * try (GpuNodeSimulator sim = GpuNodeSimulator.start(client, SimulatorOptions.defaults().withNodes(1))) {
 *   String node = sim.nodeNames().get(0);
 *   sim.layoutOf(node);
 * }
 * }</pre>
 */
public final class GpuNodeSimulator implements AutoCloseable {

    public static final String SIMULATED_LABEL = "quartet.dev/simulated";
    /** The pod annotation the node agent of each simulated node writes (the simulator itself never writes it). */
    public static final String MIG_DEVICE_ANNOTATION = NodeAgentReport.MIG_DEVICE;

    public static final String WORKER_URL_ANNOTATION = WorkerProcesses.WORKER_URL_ANNOTATION;
    /**
     * Simulator-only pod annotation (docs/contracts.md): what the pod's simulated container runs, which decides whether
     * NVML would show a process on its device. Absent: a process while the pod runs.
     */
    public static final String PROCESS_ANNOTATION = "sim.quartet.dev/process";
    /** The container runs without a process on its GPU device (idle, not started, CPU fallback). */
    public static final String PROCESS_NONE = "none";
    /** The container crashes and restarts with back-off; no process between crashes. */
    public static final String PROCESS_CRASH_LOOPING = "crash-looping";

    private static final Logger LOG = Logger.getLogger(GpuNodeSimulator.class.getName());
    private static final Duration LEASE_RENEWAL = Duration.ofSeconds(10);
    private static final Duration KUBELET_RESYNC = Duration.ofSeconds(30);
    /** The node agent's full pass at least this often (its {@code quartet.agent.resync-interval} default). */
    private static final Duration AGENT_RESYNC = Duration.ofSeconds(30);

    /**
     * A node to add: name, GPU model, GPU count, initial layout of every GPU, and whether it runs NVIDIA's DRA driver
     * with DynamicMIG instead of the device plugin and MIG Manager.
     */
    public record NodeSpec(String name, GpuModel model, int gpus, MigLayout layout, boolean dra) {
        /** A node of the device plugin and MIG Manager. */
        public NodeSpec(String name, GpuModel model, int gpus, MigLayout layout) {
            this(name, model, gpus, layout, false);
        }
    }

    private final KubernetesClient client;
    private final SimulatorOptions options;
    private final EventLoop loop = new EventLoop();
    private final Map<String, SimulatedNode> nodes = new ConcurrentHashMap<>();
    /**
     * Lease renewals run on their own thread, like a kubelet's: a busy event loop (hundreds of pods admitted at
     * once) must not starve them, or the node lifecycle controller marks healthy nodes NotReady.
     */
    private final EventLoop heartbeats = new EventLoop();
    /**
     * Each node renews its Lease in parallel, as each kubelet does: one thread renewing 250 Leases one after the
     * other took longer than the node controller's grace period on a loaded machine, and the node controller then
     * marked healthy nodes NotReady (hack/bench-operator.sh 1000, docs/benchmarks.md).
     */
    private final java.util.concurrent.ExecutorService renewals =
            java.util.concurrent.Executors.newFixedThreadPool(16, r -> {
                Thread t = new Thread(r, "sim-lease-renewal");
                t.setDaemon(true);
                return t;
            });

    private final List<DeletedPod> deletedWhileRunning = new CopyOnWriteArrayList<>();
    private final List<DisruptedPod> disrupted = new CopyOnWriteArrayList<>();
    private final NodeApi api;
    private final MigConfigMapStore configs;
    private final DevicePlugin plugin;
    private final WorkerProcesses workers;
    private final SimulatedKubelet kubelet;
    private final MigManagerSimulator migManager;
    private final DraKubeletPlugin dra;
    private final SimulatedNodeAgents agents;
    private final AtomicInteger nextIndex = new AtomicInteger(1);
    private volatile Duration reconfigureDelay;
    private SharedIndexInformer<Pod> podInformer;
    private SharedIndexInformer<Node> nodeInformer;
    private volatile boolean closed;

    private GpuNodeSimulator(KubernetesClient client, SimulatorOptions options) {
        this.client = client;
        this.options = options;
        this.reconfigureDelay = options.reconfigureDelay();
        this.api = new NodeApi(client);
        this.configs = new MigConfigMapStore(client, options.migNamespace(), options.migConfigMap());
        this.plugin = new DevicePlugin(api, loop);
        this.workers = new WorkerProcesses(options);
        this.dra = new DraKubeletPlugin(client);
        this.kubelet = new SimulatedKubelet(
                client,
                nodes,
                workers,
                loop,
                deletedWhileRunning::add,
                disrupted::add,
                deviceAllocator(options.strictness()),
                dra);
        this.migManager = new MigManagerSimulator(
                api, configs, loop, () -> reconfigureDelay, options.strictness(), plugin, new NodeSide());
        this.agents = new SimulatedNodeAgents(client, this::agentView, options.agentEventDelay(), AGENT_RESYNC);
    }

    /**
     * What a node agent's pass reads of its node, taken on the event loop: the kubelet's PodResources answer, the GPUs
     * and the processes on them. A node whose kubelet is down answers nothing.
     */
    private SimulatedNodeAgents.NodeState agentView(String name) {
        return loop.call(() -> {
            SimulatedNode node = nodes.get(name);
            if (node == null || node.forgotten) {
                throw new IllegalStateException("node " + name + " is gone");
            }
            if (node.notReady) {
                throw new IllegalStateException(
                        "the kubelet of " + name + " does not answer on its PodResources socket");
            }
            return new SimulatedNodeAgents.NodeState(kubelet.podResources(node), node.gpus, kubelet.processes(node));
        });
    }

    /** The node as MIG Manager needs it: who uses which device, and the node's reboot. */
    private final class NodeSide implements MigManagerSimulator.Node {
        @Override
        public Map<String, String> held(SimulatedNode node) {
            return kubelet.held(node);
        }

        @Override
        public Map<String, String> processes(SimulatedNode node) {
            return kubelet.processes(node);
        }

        @Override
        public void devicesDestroyed(SimulatedNode node, java.util.Set<String> uuids) {
            kubelet.devicesDestroyed(node, uuids);
        }

        @Override
        public void reboot(SimulatedNode node, Runnable onBoot) {
            GpuNodeSimulator.this.reboot(node, onBoot);
        }
    }

    private static DevicePluginAllocator deviceAllocator(Strictness strictness) {
        long seed = strictness.deviceChoiceSeed() != null ? strictness.deviceChoiceSeed() : System.nanoTime();
        if (strictness.deviceChoice() == Strictness.DeviceChoice.RANDOM) {
            LOG.info(() -> "device choice: random, seed " + seed + " (repeat a run with --seed " + seed + ")");
        }
        return new DevicePluginAllocator(strictness.deviceChoice(), seed);
    }

    /** Starts the simulator and registers {@code options.nodes()} nodes; returns once they are Ready. */
    public static GpuNodeSimulator start(KubernetesClient client, SimulatorOptions options) {
        GpuNodeSimulator sim = new GpuNodeSimulator(client, options);
        try {
            sim.startInformers();
            // renewals start before registration ends: registering hundreds of nodes takes longer than a lease lasts
            sim.heartbeats.every(sim::heartbeat, LEASE_RENEWAL);
            for (int i = 0; i < options.nodes(); i++) {
                sim.addNode();
            }
            sim.loop.every(sim::resync, KUBELET_RESYNC);
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
        return sim;
    }

    private void startInformers() {
        configs.ensureExists();
        if (!options.strictness().configFileLag().isZero()) {
            configs.setFileLag(options.strictness().configFileLag());
        }
        podInformer = client.pods()
                .inAnyNamespace()
                .inform(
                        new ResourceEventHandler<>() {
                            @Override
                            public void onAdd(Pod pod) {
                                onLoop(() -> kubelet.onPod(pod));
                                agents.changed(pod.getSpec().getNodeName());
                            }

                            @Override
                            public void onUpdate(Pod old, Pod pod) {
                                onLoop(() -> kubelet.onPod(pod));
                                agents.changed(pod.getSpec().getNodeName());
                            }

                            @Override
                            public void onDelete(Pod pod, boolean unknownFinalState) {
                                onLoop(() -> kubelet.onPodDeleted(pod));
                                agents.changed(pod.getSpec().getNodeName());
                            }
                        },
                        0);
        nodeInformer = client.nodes()
                .withLabel(SIMULATED_LABEL, "true")
                .inform(
                        new ResourceEventHandler<>() {
                            @Override
                            public void onAdd(Node node) {
                                onLoop(() -> onNode(node));
                                agents.changed(node.getMetadata().getName());
                            }

                            @Override
                            public void onUpdate(Node old, Node node) {
                                onLoop(() -> onNode(node));
                                agents.changed(node.getMetadata().getName());
                            }

                            @Override
                            public void onDelete(Node node, boolean unknownFinalState) {
                                onLoop(() -> onNodeDeleted(node));
                            }
                        },
                        0);
    }

    private void onLoop(Runnable task) {
        if (!closed) {
            loop.execute(task);
        }
    }

    private <T> T onLoopAndWait(Callable<T> task) {
        return loop.call(task);
    }

    private void onNode(Node node) {
        SimulatedNode sim = nodes.get(node.getMetadata().getName());
        if (sim != null && !sim.dra && node.getMetadata().getUid().equals(sim.uid)) {
            migManager.onLabels(sim, node.getMetadata().getLabels());
        }
    }

    private void onNodeDeleted(Node node) {
        SimulatedNode sim = nodes.get(node.getMetadata().getName());
        if (sim != null && node.getMetadata().getUid().equals(sim.uid)) {
            LOG.warning(() -> "node " + sim.name + " was deleted by someone else; the simulator forgets it");
            forget(sim);
        }
    }

    /** Adds a node {@code <prefix><n>} shaped like the options say; returns its name once it is Ready. */
    public String addNode() {
        return addNode(new NodeSpec(
                options.nodePrefix() + nextIndex.getAndIncrement(),
                options.gpuModel(),
                options.gpusPerNode(),
                options.layout(),
                options.dra()));
    }

    /** Adds a node; returns its name once it is registered and Ready. */
    public String addNode(NodeSpec spec) {
        if (spec.dra()) {
            return addDraNode(spec);
        }
        MigProfileTable.Placement placement = spec.layout().placeOn(spec.model());
        if (!placement.legal()) {
            throw new IllegalArgumentException("layout " + spec.layout() + " is illegal on "
                    + spec.model().displayName() + ": " + placement.error());
        }
        String config = configs.configFor(spec.layout(), spec.model(), spec.gpus());
        List<GpuHardware> gpus = new ArrayList<>();
        for (int i = 0; i < spec.gpus(); i++) {
            gpus.add(GpuHardware.of(spec.name(), i, spec.model(), spec.layout().migEnabled(), placement.instances()));
        }
        SimulatedNode node = new SimulatedNode(spec.name(), spec.model(), gpus);
        node.latestConfig = config;
        node.lastRead = config;
        node.migState = NvidiaLabels.STATE_SUCCESS;
        return onLoopAndWait(() -> {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("kubernetes.io/hostname", spec.name());
            labels.put("kubernetes.io/os", "linux");
            labels.put("kubernetes.io/arch", "amd64");
            labels.put("beta.kubernetes.io/os", "linux");
            labels.put("beta.kubernetes.io/arch", "amd64");
            labels.put(SIMULATED_LABEL, "true");
            labels.putAll(GpuFeatureDiscovery.labels(spec.model(), gpus));
            labels.put(NvidiaLabels.MIG_CONFIG, config);
            labels.put(NvidiaLabels.MIG_CONFIG_STATE, NvidiaLabels.STATE_SUCCESS);
            if (options.strictness().operandShutdown().enabled()) {
                // the GPU Operator deploys its operands on GPU nodes by these labels; MIG Manager pauses them
                NvidiaLabels.OPERANDS_PAUSED_FOR_MIG_CHANGE.forEach(l -> labels.put(l, "true"));
            }
            Map<String, Integer> resources = GpuFeatureDiscovery.resources(spec.model(), gpus);
            resources.forEach((k, v) -> {
                if (v != null) {
                    node.registeredResources.add(k);
                }
            });
            node.uid = api.register(spec.name(), labels, resources, true);
            nodes.put(spec.name(), node);
            api.renewLease(spec.name(), node.uid);
            startAgent(spec.name());
            LOG.info(() -> "registered node " + spec.name() + ": " + spec.gpus() + " x "
                    + spec.model().displayName() + ", " + spec.layout() + " (" + NvidiaLabels.MIG_CONFIG + "=" + config
                    + ")");
            return spec.name();
        });
    }

    /**
     * A node of NVIDIA's DRA driver with DynamicMIG: GFD's labels (no MIG strategy: no device plugin), no MIG Manager
     * labels, no extended resources, and the driver's ResourceSlices. Ampere GPUs with MIG mode on and no instances
     * (the driver destroys instances no claim holds when it starts, and never turns MIG mode off on Ampere).
     */
    private String addDraNode(NodeSpec spec) {
        if (!spec.layout().equals(MigLayout.NONE)) {
            throw new IllegalArgumentException("a DRA node starts with MIG mode on and no instances (layout none): the "
                    + "driver destroys instances no claim holds at start, and a GPU with MIG off gets no dynamic MIG "
                    + "devices on Ampere; asked for " + spec.layout());
        }
        spec.model().profiles().forEach(DraResourceSlices::capacities); // refuses a model without engine counts
        List<GpuHardware> gpus = new ArrayList<>();
        for (int i = 0; i < spec.gpus(); i++) {
            gpus.add(GpuHardware.of(spec.name(), i, spec.model(), true, List.of()));
        }
        SimulatedNode node = new SimulatedNode(spec.name(), spec.model(), gpus);
        node.dra = true;
        return onLoopAndWait(() -> {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("kubernetes.io/hostname", spec.name());
            labels.put("kubernetes.io/os", "linux");
            labels.put("kubernetes.io/arch", "amd64");
            labels.put(SIMULATED_LABEL, "true");
            labels.putAll(GpuFeatureDiscovery.labels(spec.model(), gpus));
            labels.remove(NvidiaLabels.MIG_STRATEGY);
            node.uid = api.register(spec.name(), labels, Map.of(), true);
            nodes.put(spec.name(), node);
            api.renewLease(spec.name(), node.uid);
            startAgent(spec.name());
            dra.publish(node);
            LOG.info(() -> "registered node " + spec.name() + ": " + spec.gpus() + " x "
                    + spec.model().displayName() + ", DRA driver with DynamicMIG, MIG on, no instances");
            return spec.name();
        });
    }

    /** The node's agent, unless the options say the node runs none. */
    private void startAgent(String name) {
        if (options.agentOn(name)) {
            agents.start(name, podInformer.getStore(), nodeInformer.getStore());
        } else {
            LOG.info(() -> "node " + name + " runs no node agent: nobody reports its pods' MIG devices or its layout");
        }
    }

    /** Whether the node runs Quartet's node agent (the one writer of the pods' MIG devices and the node's layout). */
    public boolean hasAgent(String node) {
        return agents.runsOn(node);
    }

    /**
     * Fault knob: the node's agent stops (as when its DaemonSet pod is gone: nothing more is written, and what it wrote
     * stays on the pods and the node) or starts again (its first pass writes what changed meanwhile).
     */
    public void setAgent(String node, boolean running) {
        onLoopAndWait(() -> {
            require(node);
            if (running) {
                agents.start(node, podInformer.getStore(), nodeInformer.getStore());
            } else {
                agents.stop(node);
            }
            LOG.info(() -> "node " + node + ": node agent " + (running ? "running" : "stopped"));
            return null;
        });
    }

    /** Deletes a node as if it was removed from the cluster (its pods are deleted too). */
    public void removeNode(String name) {
        onLoopAndWait(() -> {
            SimulatedNode node = require(name);
            forget(node);
            deletePodsAndNode(node);
            return null;
        });
    }

    private void forget(SimulatedNode node) {
        node.forgotten = true;
        if (node.migRun != null) {
            node.migRun.cancelled = true;
        }
        kubelet.forget(node);
        agents.stop(node.name);
        nodes.remove(node.name);
    }

    private void deletePodsAndNode(SimulatedNode node) {
        try {
            client.pods()
                    .inAnyNamespace()
                    .withField("spec.nodeName", node.name)
                    .withGracePeriod(0)
                    .delete();
            api.delete(node.name);
        } catch (KubernetesClientException e) {
            LOG.warning(() -> "could not delete node " + node.name + ": " + e.getMessage());
        }
    }

    /**
     * MIG Manager reboots the node ({@code WITH_REBOOT}): the kubelet stops (Ready=False, no lease renewals), every
     * container ends; after the reboot duration the node is Ready again with a new boot ID, the kubelet admits its pods
     * anew ({@link SimulatedKubelet#afterReboot}) and MIG Manager starts ({@code onBoot}).
     */
    private void reboot(SimulatedNode node, Runnable onBoot) {
        node.notReady = true;
        node.devicePluginUp = false;
        api.patchReady(node.name, false, "rebooting (MIG Manager, WITH_REBOOT=true)");
        kubelet.nodeDown(node);
        LOG.info(() ->
                "node " + node.name + " rebooting for " + options.strictness().rebootDuration());
        loop.schedule(
                () -> {
                    if (node.forgotten) {
                        return;
                    }
                    node.notReady = false;
                    api.patchBootId(node.name, node.name + "-" + System.currentTimeMillis());
                    api.patchReady(node.name, true, "");
                    api.renewLease(node.name, node.uid);
                    plugin.afterReboot(node);
                    kubelet.afterReboot(node, podInformer.getStore().list());
                    LOG.info(() -> "node " + node.name + " up again after the reboot");
                    onBoot.run();
                },
                options.strictness().rebootDuration());
    }

    private void heartbeat() {
        List<java.util.concurrent.Future<?>> renewing = new ArrayList<>();
        for (SimulatedNode node : nodes.values()) {
            if (!node.notReady) {
                renewing.add(renewals.submit(() -> heartbeat(node)));
            }
        }
        for (java.util.concurrent.Future<?> f : renewing) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                LOG.warning(() -> "heartbeat failed: " + e.getCause());
            }
        }
    }

    private void heartbeat(SimulatedNode node) {
        try {
            api.renewLease(node.name, node.uid);
            // Like a kubelet, post Ready again when the node lifecycle controller marked the node Unknown
            // (after a late renewal): the controller never sets Ready=True itself.
            Node current = nodeInformer == null ? null : nodeInformer.getStore().getByKey(node.name);
            if (current != null && !readyTrue(current) && !node.notReady) {
                api.patchReady(node.name, true, "");
                LOG.info(() -> "node " + node.name + ": posted Ready again after the node controller marked it "
                        + "not Ready");
            }
        } catch (KubernetesClientException e) {
            LOG.warning(() -> "node " + node.name + ": heartbeat failed: " + e.getMessage());
        }
    }

    private static boolean readyTrue(Node node) {
        return node.getStatus() != null
                && node.getStatus().getConditions() != null
                && node.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Like a kubelet's periodic sync: retries pods whose last update failed or was missed. */
    private void resync() {
        if (closed || podInformer == null) {
            return;
        }
        List<Pod> pods = podInformer.getStore().list();
        nodes.values().stream().filter(n -> !n.notReady).forEach(n -> kubelet.resync(n, pods));
    }

    private SimulatedNode require(String name) {
        SimulatedNode node = nodes.get(name);
        if (node == null) {
            throw new IllegalArgumentException("no simulated node " + name + " (have " + nodes.keySet() + ")");
        }
        return node;
    }

    /** Names of this simulator's nodes, in registration order of their index. */
    public List<String> nodeNames() {
        return nodes.keySet().stream()
                .sorted(java.util.Comparator.comparingInt(String::length)
                        .thenComparing(java.util.Comparator.naturalOrder()))
                .toList();
    }

    /** Each GPU of the node: MIG mode, the MIG devices with profile, start and the pod holding each. */
    public List<GpuSnapshot> layoutOf(String node) {
        return onLoopAndWait(() -> require(node).snapshot());
    }

    /** Fault knob: MIG Manager of this node stays {@code pending} on every change until released. */
    public void stuckPending(String node, boolean stuck) {
        onLoopAndWait(() -> {
            SimulatedNode n = require(node);
            n.stuckPending = stuck;
            migManager.onKnobs(n);
            return null;
        });
    }

    /** Fault knob: every MIG config change on this node ends in {@code failed}, nothing changed. */
    public void forceFailed(String node, boolean fail) {
        onLoopAndWait(() -> {
            require(node).forceFailed = fail;
            return null;
        });
    }

    /**
     * Fault knob (NVIDIA/mig-parted#18, #97): MIG Manager reports {@code success} for every change on this node but
     * creates no instances: each GPU that was to change is left with its MIG mode and none. GPUs that need no change
     * keep theirs, and a failing apply still fails.
     */
    public void successWithoutInstances(String node, boolean on) {
        onLoopAndWait(() -> {
            require(node).successWithoutInstances = on;
            return null;
        });
    }

    /**
     * Fault knob: when {@code nvidia.com/mig.config} changes while MIG Manager applies (or is stuck {@code pending}
     * on) another config, it finishes that apply, reports its result ({@code success} for the abandoned config), and
     * acts on the latest label only {@code hold} later; null turns it off. So a {@code success} seen after a label
     * change may belong to the config before it.
     */
    public void lateSuccessForAbandonedConfig(String node, Duration hold) {
        onLoopAndWait(() -> {
            require(node).lateSuccessHold = hold;
            return null;
        });
    }

    /**
     * Fault knob: the node's kubelet dies (Ready=False, no lease renewals, its pods are not processed and stay
     * Terminating when deleted) or comes back (Ready=True, catches up with its pods).
     */
    public void setNotReady(String node, boolean notReady) {
        onLoopAndWait(() -> {
            SimulatedNode n = require(node);
            if (n.notReady == notReady) {
                return null;
            }
            n.notReady = notReady;
            api.patchReady(n.name, !notReady, "kubelet stopped (fault injection)");
            if (!notReady) {
                api.renewLease(n.name, n.uid);
                kubelet.resync(n, podInformer.getStore().list());
            }
            LOG.info(() -> "node " + node + (notReady ? " NotReady (fault injection)" : " Ready again"));
            return null;
        });
    }

    /** How long the apply itself takes (MIG Manager {@code pending}; applies to the next change). */
    public void setReconfigureDelay(Duration delay) {
        this.reconfigureDelay = delay;
    }

    /**
     * MIG Manager reads the mig-parted ConfigMap as the kubelet's mounted copy, which follows changes {@code lag}
     * late (zero, the default: it reads the ConfigMap as it is; the option {@link Strictness#configFileLag()} sets it
     * at start).
     */
    public void setConfigFileLag(Duration lag) {
        configs.setFileLag(lag);
    }

    /** Why the node's last MIG config change failed (what MIG Manager would log), if it did. */
    public Optional<String> lastMigFailure(String node) {
        return onLoopAndWait(() -> Optional.ofNullable(require(node).lastFailure));
    }

    /** Every pod on this simulator's nodes seen deleted (or deletion requested) while it was Running. */
    public List<DeletedPod> deletedWhileRunning() {
        return List.copyOf(deletedWhileRunning);
    }

    /**
     * Every running pod these nodes broke without a deletion: its device destroyed under it by a reconfiguration, or
     * its node rebooted by MIG Manager.
     */
    public List<DisruptedPod> disruptedPods() {
        return List.copyOf(disrupted);
    }

    public SimulatorOptions options() {
        return options;
    }

    public KubernetesClient client() {
        return client;
    }

    /** Stops the simulator: workers killed, informers stopped and, if so configured, nodes and their pods deleted. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            onLoopAndWait(() -> {
                closed = true;
                for (SimulatedNode node : List.copyOf(nodes.values())) {
                    forget(node);
                    if (options.deleteNodesOnClose()) {
                        deletePodsAndNode(node);
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "simulator shutdown incomplete: " + e.getMessage(), e);
        } finally {
            closed = true;
            if (podInformer != null) {
                podInformer.stop();
            }
            if (nodeInformer != null) {
                nodeInformer.stop();
            }
            agents.close();
            workers.close();
            configs.close();
            loop.shutdown();
            heartbeats.shutdown();
            renewals.shutdownNow();
        }
    }
}
