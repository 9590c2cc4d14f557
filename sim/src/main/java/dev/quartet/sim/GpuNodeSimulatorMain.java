package dev.quartet.sim;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/** Command line: runs the GPU node simulator until SIGTERM (what {@code hack/local-cluster.sh up} starts). */
public final class GpuNodeSimulatorMain {

    private static final Logger LOG = Logger.getLogger(GpuNodeSimulatorMain.class.getName());
    private static final String USAGE = """
      usage: java -jar quartet-gpu-sim.jar --kubeconfig FILE [options]
        --nodes N                     nodes to register (default 2)
        --gpus-per-node G             GPUs per node (default 4)
        --gpu-model M                 A30 | A100-40GB | A100-80GB | H100-80GB | H200-141GB (default A30;
                                      H200-141GB is unknown to the operator: planned from the agent's report)
        --layout L                    initial layout of every GPU: 4x1g.6gb, 2x1g.6gb+1x2g.12gb, none, disabled
        --dra                         nodes run NVIDIA's DRA driver with DynamicMIG (ResourceSlices, claims) instead
                                      of the device plugin and MIG Manager; A30 only, layout none
                                      (default none: MIG enabled, no instances)
        --mig-configmap NAME          MIG Manager's ConfigMap (default default-mig-parted-config)
        --mig-namespace NS            its namespace (default gpu-operator)
        --node-prefix P               node names are P1, P2, ... (default gpu-node-)
        --reconfigure-delay-ms MS     how long the apply itself takes (default 1000)
        --reconfigure-delay D         the same as a duration (500ms, 10s)
        --worker-processes            run pods whose image contains 'quartet-worker' as local processes
        --worker-jar PATH             the worker's jar (default worker-image/target/quarkus-app/quarkus-run.jar)
        --worker-model-root DIR       local directory standing in for file:///models in the image
        --worker-log-dir DIR          worker process logs (default $TMPDIR/quartet-sim-workers)
        --keep-nodes-on-exit          leave the nodes registered when stopped (they go NotReady)
        --no-agent-nodes N1,N2        these nodes run no node agent: nobody writes quartet's MIG annotations on
                                      them or their pods (the operator's no-agent fallback); '*' for all nodes.
                                      Default: every node runs the agent's pass in the simulator's process
        --agent-event-delay D         a node agent's pass runs this long after its node or a pod of it changed
                                      (default 1s, the agent's own default)
      How strictly NVIDIA's stack and the kubelet are followed (default: as NVIDIA's stack, with short delays,
      the same as --strict; --gentle for the simulator of before issue 17):
      """ + StrictnessFlags.USAGE + "\n";

    private GpuNodeSimulatorMain() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("java.util.logging.config.file") == null) {
            try (var in = GpuNodeSimulatorMain.class.getResourceAsStream("logging.properties")) {
                java.util.logging.LogManager.getLogManager().readConfiguration(in);
            }
        }
        Path kubeconfig = null;
        SimulatorOptions options = SimulatorOptions.defaults();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--kubeconfig" -> kubeconfig = Path.of(value(args, ++i, a));
                    case "--nodes" -> options = options.withNodes(Integer.parseInt(value(args, ++i, a)));
                    case "--gpus-per-node" -> options = options.withGpusPerNode(Integer.parseInt(value(args, ++i, a)));
                    case "--gpu-model" -> options = options.withGpuModel(SimulatedGpuModels.parse(value(args, ++i, a)));
                    case "--layout" -> options = options.withLayout(MigLayout.parse(value(args, ++i, a)));
                    case "--dra" -> options = options.withDra(true);
                    case "--mig-configmap" ->
                        options = options.withMigConfigMap(options.migNamespace(), value(args, ++i, a));
                    case "--mig-namespace" ->
                        options = options.withMigConfigMap(value(args, ++i, a), options.migConfigMap());
                    case "--node-prefix" -> options = options.withNodePrefix(value(args, ++i, a));
                    case "--reconfigure-delay-ms" ->
                        options = options.withReconfigureDelay(Duration.ofMillis(Long.parseLong(value(args, ++i, a))));
                    case "--worker-processes" ->
                        options = options.withWorkerProcesses(
                                options.workerJar(), options.workerModelRoot(), options.workerLogDir());
                    case "--worker-jar" -> options = withWorker(options, Path.of(value(args, ++i, a)), null, null);
                    case "--worker-model-root" ->
                        options = withWorker(options, null, Path.of(value(args, ++i, a)), null);
                    case "--worker-log-dir" -> options = withWorker(options, null, null, Path.of(value(args, ++i, a)));
                    case "--reconfigure-delay" ->
                        options = options.withReconfigureDelay(StrictnessFlags.duration(value(args, ++i, a)));
                    case "--keep-nodes-on-exit" -> options = options.withDeleteNodesOnClose(false);
                    case "--no-agent-nodes" ->
                        options = options.withNoAgentNodes(
                                java.util.Set.of(value(args, ++i, a).split(",")));
                    case "--agent-event-delay" ->
                        options = options.withAgentEventDelay(StrictnessFlags.duration(value(args, ++i, a)));
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> {
                        if (!StrictnessFlags.isStrictnessFlag(a)) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        Strictness[] strictness = {options.strictness()};
                        i = StrictnessFlags.apply(args, i, strictness);
                        options = options.withStrictness(strictness[0]);
                    }
                }
            }
            if (kubeconfig == null) {
                throw new IllegalArgumentException("--kubeconfig is required");
            }
            if (options.nodes() < 0 || options.gpusPerNode() < 1 || options.gpusPerNode() > 8) {
                throw new IllegalArgumentException("--nodes must be >= 0 and --gpus-per-node 1..8");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        Optional<Path> jar = JarIntegrity.ownJar();
        Optional<String> damage = jar.flatMap(JarIntegrity::damage);
        if (damage.isPresent()) {
            // e.g. copied while two builds wrote sim/target at once; started anyway, it would fail at the first pod
            System.err.println("error: " + jar.get() + " is damaged (" + damage.get()
                    + "). Rebuild it (./mvnw -pl sim -am " + "package, one build at a time) and start a fresh copy.");
            System.exit(2);
            return;
        }
        run(kubeconfig, options);
    }

    private static SimulatorOptions withWorker(SimulatorOptions o, Path jar, Path modelRoot, Path logDir) {
        SimulatorOptions updated = o.withWorkerProcesses(
                jar != null ? jar : o.workerJar(),
                modelRoot != null ? modelRoot : o.workerModelRoot(),
                logDir != null ? logDir : o.workerLogDir());
        return o.workerProcesses() ? updated : updated.withWorkerProcessesOff();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static void run(Path kubeconfig, SimulatorOptions options) throws IOException, InterruptedException {
        Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
        KubernetesClient client =
                new KubernetesClientBuilder().withConfig(config).build();
        GpuNodeSimulator sim;
        try {
            sim = GpuNodeSimulator.start(client, options);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            client.close();
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            LOG.info("stopping the GPU node simulator");
                            sim.close();
                            client.close();
                            stopped.countDown();
                        },
                        "gpu-sim-shutdown"));
        LOG.info(() -> "GPU node simulator running: " + sim.nodeNames() + " (" + options.gpusPerNode() + " x "
                + options.gpuModel().displayName() + ", layout " + options.layout() + ", MIG config "
                + options.migNamespace() + "/" + options.migConfigMap()
                + (options.workerProcesses() ? ", worker processes from " + options.workerJar() : "") + "; "
                + options.strictness() + ")");
        stopped.await();
    }
}
