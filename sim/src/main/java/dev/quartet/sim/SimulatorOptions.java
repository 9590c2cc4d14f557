package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import java.nio.file.Path;
import java.time.Duration;

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
 * @param reconfigureDelay   how long MIG Manager stays {@code pending} before it finishes an apply
 * @param workerProcesses    run pods whose image contains {@code quartet-worker} as real local processes
 * @param workerJar          the worker's runnable jar
 * @param workerModelRoot    local directory that stands in for the image's {@code /models}
 * @param workerLogDir       where worker process logs go
 * @param deleteNodesOnClose delete the simulator's nodes (and their pods) on close
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
        boolean deleteNodesOnClose) {

    public static final String DEFAULT_CONFIGMAP = "default-mig-parted-config";
    public static final String DEFAULT_NAMESPACE = "gpu-operator";

    /** The defaults: 2 A30 nodes with 4 GPUs, MIG enabled without instances, NVIDIA's default ConfigMap. */
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
                true);
    }

    public SimulatorOptions withNodes(int n) {
        return new SimulatorOptions(
                n,
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
                deleteNodesOnClose);
    }

    public SimulatorOptions withGpusPerNode(int n) {
        return new SimulatorOptions(
                nodes,
                n,
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
                deleteNodesOnClose);
    }

    public SimulatorOptions withGpuModel(GpuModel m) {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                m,
                layout,
                migConfigMap,
                migNamespace,
                nodePrefix,
                reconfigureDelay,
                workerProcesses,
                workerJar,
                workerModelRoot,
                workerLogDir,
                deleteNodesOnClose);
    }

    public SimulatorOptions withLayout(MigLayout l) {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                gpuModel,
                l,
                migConfigMap,
                migNamespace,
                nodePrefix,
                reconfigureDelay,
                workerProcesses,
                workerJar,
                workerModelRoot,
                workerLogDir,
                deleteNodesOnClose);
    }

    public SimulatorOptions withLayout(String l) {
        return withLayout(MigLayout.parse(l));
    }

    public SimulatorOptions withMigConfigMap(String namespace, String name) {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                gpuModel,
                layout,
                name,
                namespace,
                nodePrefix,
                reconfigureDelay,
                workerProcesses,
                workerJar,
                workerModelRoot,
                workerLogDir,
                deleteNodesOnClose);
    }

    public SimulatorOptions withNodePrefix(String p) {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                gpuModel,
                layout,
                migConfigMap,
                migNamespace,
                p,
                reconfigureDelay,
                workerProcesses,
                workerJar,
                workerModelRoot,
                workerLogDir,
                deleteNodesOnClose);
    }

    public SimulatorOptions withReconfigureDelay(Duration d) {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                gpuModel,
                layout,
                migConfigMap,
                migNamespace,
                nodePrefix,
                d,
                workerProcesses,
                workerJar,
                workerModelRoot,
                workerLogDir,
                deleteNodesOnClose);
    }

    /** Worker-process mode with this jar, model root and log directory (model root may be null: no rewrite). */
    public SimulatorOptions withWorkerProcesses(Path jar, Path modelRoot, Path logDir) {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                gpuModel,
                layout,
                migConfigMap,
                migNamespace,
                nodePrefix,
                reconfigureDelay,
                true,
                jar,
                modelRoot,
                logDir,
                deleteNodesOnClose);
    }

    /** The same options with worker-process mode off (worker settings kept). */
    public SimulatorOptions withWorkerProcessesOff() {
        return new SimulatorOptions(
                nodes,
                gpusPerNode,
                gpuModel,
                layout,
                migConfigMap,
                migNamespace,
                nodePrefix,
                reconfigureDelay,
                false,
                workerJar,
                workerModelRoot,
                workerLogDir,
                deleteNodesOnClose);
    }

    public SimulatorOptions withDeleteNodesOnClose(boolean b) {
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
                b);
    }
}
