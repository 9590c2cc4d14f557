package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * How a {@link GpuNodeSimulator} is shaped. Immutable; change with the {@code with...} methods.
 *
 * @param nodes              nodes registered at start
 * @param gpusPerNode        GPUs per node
 * @param gpuModel           GPU model of every node started with these options
 * @param layout             initial MIG layout of every GPU
 * @param migConfigMap       name of MIG Manager's ConfigMap (mig-parted config under key {@code config.yaml})
 * @param migNamespace       its namespace
 * @param nodePrefix         node names are {@code <prefix><n>}, n from 1
 * @param reconfigureDelay   how long the apply itself takes (MIG Manager {@code pending}, operands gone, until the
 *                           GPUs are changed)
 * @param workerProcesses    run pods whose image contains {@code quartet-worker} as real local processes
 * @param workerJar          the worker's runnable jar
 * @param workerModelRoot    local directory that stands in for the image's {@code /models}
 * @param workerLogDir       where worker process logs go
 * @param deleteNodesOnClose delete the simulator's nodes (and their pods) on close
 * @param strictness         how strictly NVIDIA's stack and the kubelet are followed ({@link Strictness#nvidia()} by
 *                           default: NVIDIA's behaviour with short delays)
 * @param dra                the nodes run NVIDIA's DRA driver with {@code DynamicMIG} instead of the device plugin and
 *                           MIG Manager: ResourceSlices, claims prepared by creating the allocated GPU instance
 *                           ({@link DraKubeletPlugin}); false by default
 * @param noAgentNodes       nodes (by name) that run no node agent, so no one annotates their pods' MIG devices or
 *                           their real layout (the operator's no-agent fallback); {@code *} for every node. Empty by
 *                           default: every node runs the agent's pass in the simulator's process
 *                           ({@link SimulatedNodeAgents})
 * @param agentEventDelay    how long a node agent waits after a change of its node or one of its pods before its pass
 *                           (the agent's {@code quartet.agent.event-delay}, 1 s by default as in the chart)
 */
public record SimulatorOptions(
        int nodes,
        int gpusPerNode,
        GpuModel gpuModel,
        MigLayout layout,
        String migConfigMap,
        String migNamespace,
        String nodePrefix,
        Duration reconfigureDelay,
        boolean workerProcesses,
        Path workerJar,
        Path workerModelRoot,
        Path workerLogDir,
        boolean deleteNodesOnClose,
        Strictness strictness,
        boolean dra,
        Set<String> noAgentNodes,
        Duration agentEventDelay) {

    public SimulatorOptions {
        noAgentNodes = Set.copyOf(noAgentNodes);
    }

    public static final String DEFAULT_CONFIGMAP = "default-mig-parted-config";
    public static final String DEFAULT_NAMESPACE = "gpu-operator";

    /**
     * The defaults: 2 A30 nodes with 4 GPUs, MIG enabled without instances, NVIDIA's default ConfigMap, every
     * behaviour as NVIDIA's stack has it with short delays ({@link Strictness#nvidia()}; the device choice is random
     * with a seed from the clock, logged, unless {@link #withDeviceChoice} or {@code --seed} sets one).
     */
    public static SimulatorOptions defaults() {
        return new SimulatorOptions(
                2,
                4,
                GpuModel.A30,
                MigLayout.NONE,
                DEFAULT_CONFIGMAP,
                DEFAULT_NAMESPACE,
                "gpu-node-",
                Duration.ofMillis(1000),
                false,
                Path.of("worker-image/target/quarkus-app/quarkus-run.jar"),
                null,
                Path.of(System.getProperty("java.io.tmpdir"), "quartet-sim-workers"),
                true,
                Strictness.nvidia(),
                false,
                Set.of(),
                Duration.ofSeconds(1));
    }

    public SimulatorOptions withNodes(int n) {
        Builder b = new Builder(this);
        b.nodes = n;
        return b.build();
    }

    public SimulatorOptions withGpusPerNode(int n) {
        Builder b = new Builder(this);
        b.gpusPerNode = n;
        return b.build();
    }

    public SimulatorOptions withGpuModel(GpuModel m) {
        Builder b = new Builder(this);
        b.gpuModel = m;
        return b.build();
    }

    public SimulatorOptions withLayout(MigLayout l) {
        Builder b = new Builder(this);
        b.layout = l;
        return b.build();
    }

    public SimulatorOptions withLayout(String l) {
        return withLayout(MigLayout.parse(l));
    }

    public SimulatorOptions withMigConfigMap(String namespace, String name) {
        Builder b = new Builder(this);
        b.migNamespace = namespace;
        b.migConfigMap = name;
        return b.build();
    }

    public SimulatorOptions withNodePrefix(String p) {
        Builder b = new Builder(this);
        b.nodePrefix = p;
        return b.build();
    }

    public SimulatorOptions withReconfigureDelay(Duration d) {
        Builder b = new Builder(this);
        b.reconfigureDelay = d;
        return b.build();
    }

    /** Worker-process mode with this jar, model root and log directory (model root may be null: no rewrite). */
    public SimulatorOptions withWorkerProcesses(Path jar, Path modelRoot, Path logDir) {
        Builder b = new Builder(this);
        b.workerProcesses = true;
        b.workerJar = jar;
        b.workerModelRoot = modelRoot;
        b.workerLogDir = logDir;
        return b.build();
    }

    /** The same options with worker-process mode off (worker settings kept). */
    public SimulatorOptions withWorkerProcessesOff() {
        Builder b = new Builder(this);
        b.workerProcesses = false;
        return b.build();
    }

    public SimulatorOptions withDeleteNodesOnClose(boolean d) {
        Builder b = new Builder(this);
        b.deleteNodesOnClose = d;
        return b.build();
    }

    public SimulatorOptions withStrictness(Strictness s) {
        Builder b = new Builder(this);
        b.strictness = s;
        return b.build();
    }

    /** Nodes added with these options run NVIDIA's DRA driver ({@code DynamicMIG}) instead of the device plugin. */
    public SimulatorOptions withDra(boolean d) {
        Builder b = new Builder(this);
        b.dra = d;
        return b.build();
    }

    /** These nodes run no node agent ({@code *}: none does). */
    public SimulatorOptions withNoAgentNodes(Set<String> names) {
        Builder b = new Builder(this);
        b.noAgentNodes = names;
        return b.build();
    }

    /** Whether the node {@code name} runs a node agent. */
    public boolean agentOn(String name) {
        return !noAgentNodes.contains("*") && !noAgentNodes.contains(name);
    }

    /** The node agents' delay between a change and their pass. */
    public SimulatorOptions withAgentEventDelay(Duration d) {
        Builder b = new Builder(this);
        b.agentEventDelay = d;
        return b.build();
    }

    /** The strictness changed by {@code change}, e.g. {@code o.withStrictness(s -> s.withStateShortcuts(true))}. */
    public SimulatorOptions withStrictness(UnaryOperator<Strictness> change) {
        return withStrictness(change.apply(strictness));
    }

    /** Behaviour 1: who picks a pod's device (seed null: from the clock, logged). */
    public SimulatorOptions withDeviceChoice(Strictness.DeviceChoice choice, Long seed) {
        return withStrictness(s -> s.withDeviceChoice(choice, seed));
    }

    /** Behaviour 2: MIG Manager pauses the device plugin, GFD and DCGM around every reconfiguration. */
    public SimulatorOptions withOperandShutdown(Duration stopDelay, Duration restartDelay) {
        return withStrictness(s -> s.withOperandShutdown(Strictness.OperandShutdown.of(stopDelay, restartDelay)));
    }

    /** MIG Manager's mounted copy of its ConfigMap follows the ConfigMap this late. */
    public SimulatorOptions withConfigFileLag(Duration lag) {
        return withStrictness(s -> s.withConfigFileLag(lag));
    }

    /** Behaviour 3: an apply in flight finishes before a changed label is acted on; flaps are coalesced. */
    public SimulatorOptions withFinishApplyInFlight(boolean finish) {
        return withStrictness(s -> s.withFinishApplyInFlight(finish));
    }

    /** Behaviour 4: {@code success} or {@code failed} without {@code pending} where MIG Manager skips it. */
    public SimulatorOptions withStateShortcuts(boolean shortcuts) {
        return withStrictness(s -> s.withStateShortcuts(shortcuts));
    }

    /** Behaviour 5: how an apply treats busy GPUs and failures. */
    public SimulatorOptions withApplyModel(Strictness.ApplyModel model) {
        return withStrictness(s -> s.withApplyModel(model));
    }

    /** Behaviour 6: what a MIG mode change takes (and how long a reboot lasts). */
    public SimulatorOptions withMigModeChange(Strictness.MigModeChange change, Duration rebootDuration) {
        return withStrictness(s -> s.withMigModeChange(change).withRebootDuration(rebootDuration));
    }

    /** A mutable copy, so that each {@code with} method names only what it changes. */
    private static final class Builder {
        int nodes;
        int gpusPerNode;
        GpuModel gpuModel;
        MigLayout layout;
        String migConfigMap;
        String migNamespace;
        String nodePrefix;
        Duration reconfigureDelay;
        boolean workerProcesses;
        Path workerJar;
        Path workerModelRoot;
        Path workerLogDir;
        boolean deleteNodesOnClose;
        Strictness strictness;
        boolean dra;
        Set<String> noAgentNodes;
        Duration agentEventDelay;

        Builder(SimulatorOptions o) {
            nodes = o.nodes;
            gpusPerNode = o.gpusPerNode;
            gpuModel = o.gpuModel;
            layout = o.layout;
            migConfigMap = o.migConfigMap;
            migNamespace = o.migNamespace;
            nodePrefix = o.nodePrefix;
            reconfigureDelay = o.reconfigureDelay;
            workerProcesses = o.workerProcesses;
            workerJar = o.workerJar;
            workerModelRoot = o.workerModelRoot;
            workerLogDir = o.workerLogDir;
            deleteNodesOnClose = o.deleteNodesOnClose;
            strictness = o.strictness;
            dra = o.dra;
            noAgentNodes = o.noAgentNodes;
            agentEventDelay = o.agentEventDelay;
        }

        SimulatorOptions build() {
            return new SimulatorOptions(
                    nodes,
                    gpusPerNode,
                    gpuModel,
                    layout,
                    migConfigMap,
                    migNamespace,
                    nodePrefix,
                    reconfigureDelay,
                    workerProcesses,
                    workerJar,
                    workerModelRoot,
                    workerLogDir,
                    deleteNodesOnClose,
                    strictness,
                    dra,
                    noAgentNodes,
                    agentEventDelay);
        }
    }
}
