package dev.quartet.testsupport;

import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.SimulatorOptions;
import dev.quartet.sim.StrictnessFlags;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * One real local Kubernetes control plane per test JVM. Uses the cluster named by {@code QUARTET_KUBECONFIG} (or the
 * system property {@code quartet.kubeconfig}) when it answers; otherwise runs
 * {@code hack/local-cluster.sh up --no-sim} once (state in {@code quartet.cluster.stateDir}, default
 * {@code target/local-cluster}) and {@code down} at JVM exit. Simulated GPU nodes come from {@link #startSimulator}.
 */
public final class LocalCluster {

    public static final String KUBECONFIG_ENV = "QUARTET_KUBECONFIG";
    public static final String KUBECONFIG_PROPERTY = "quartet.kubeconfig";
    public static final String STATE_DIR_PROPERTY = "quartet.cluster.stateDir";
    private static final Logger LOG = Logger.getLogger(LocalCluster.class.getName());
    private static final Duration UP_TIMEOUT = Duration.ofMinutes(20);
    private static LocalCluster shared;

    private final Path repositoryRoot;
    private final Path kubeconfig;
    private final Path ownedStateDir;
    private final KubernetesClient client;
    private final List<GpuNodeSimulator> simulators = new CopyOnWriteArrayList<>();
    private final String runId = randomId(4);
    private final AtomicInteger counter = new AtomicInteger();

    private LocalCluster(Path repositoryRoot, Path kubeconfig, Path ownedStateDir) {
        this.repositoryRoot = repositoryRoot;
        this.kubeconfig = kubeconfig;
        this.ownedStateDir = ownedStateDir;
        this.client = newClient();
    }

    /** The JVM's shared control plane, started on first use. */
    public static synchronized LocalCluster shared() {
        if (shared == null) {
            shared = connectOrStart();
            LocalCluster cluster = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::shutdown, "local-cluster-shutdown"));
        }
        return shared;
    }

    private static LocalCluster connectOrStart() {
        Path root = RepositoryRoot.find();
        String external = System.getProperty(KUBECONFIG_PROPERTY, System.getenv(KUBECONFIG_ENV));
        if (external != null && !external.isBlank()) {
            Path path = Path.of(external).toAbsolutePath();
            if (answers(path)) {
                LOG.info(() -> "using the running local cluster of " + path);
                return new LocalCluster(root, path, null);
            }
            LOG.warning(() -> KUBECONFIG_ENV + "=" + path + " does not answer; starting a cluster of our own");
        }
        Path state = Path.of(System.getProperty(STATE_DIR_PROPERTY, "target/local-cluster"))
                .toAbsolutePath();
        Path script = root.resolve("hack/local-cluster.sh");
        Path log = state.resolveSibling(state.getFileName() + "-up.log");
        long started = System.nanoTime();
        run(script, log, "down", "--state-dir", state.toString());
        int exit = run(script, log, "up", "--no-sim", "--state-dir", state.toString());
        if (exit != 0) {
            throw new IllegalStateException("hack/local-cluster.sh up failed (exit " + exit + "):\n" + tail(log));
        }
        LOG.info(() -> "local control plane up in "
                + Duration.ofNanos(System.nanoTime() - started).toSeconds() + " s (state " + state + ")");
        return new LocalCluster(root, state.resolve("kubeconfig"), state);
    }

    private static boolean answers(Path kubeconfig) {
        if (!Files.isRegularFile(kubeconfig)) {
            return false;
        }
        try (KubernetesClient c = client(kubeconfig)) {
            c.namespaces().withName("default").get();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int run(Path script, Path log, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!p.waitFor(UP_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + UP_TIMEOUT);
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static KubernetesClient client(Path kubeconfig) {
        try {
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
            config.setRequestTimeout(30_000);
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared admin client (do not close it). */
    public KubernetesClient client() {
        return client;
    }

    /** A new admin client of its own (the caller closes it), e.g. for an operator under test. */
    public KubernetesClient newClient() {
        return client(kubeconfig);
    }

    /** Kubeconfig of the cluster (token auth, loopback only). */
    public Path kubeconfig() {
        return kubeconfig;
    }

    /**
     * The control plane's own kubectl: the symlink hack/local-cluster.sh puts in its state directory, beside the
     * kubeconfig, so that tests run the client of the server's release.
     */
    public Path kubectl() {
        Path kubectl = kubeconfig.getParent().resolve("kubectl");
        if (!Files.isExecutable(kubectl)) {
            throw new IllegalStateException(
                    "no kubectl beside " + kubeconfig + " (hack/local-cluster.sh links one into its state directory)");
        }
        return kubectl;
    }

    public Path repositoryRoot() {
        return repositoryRoot;
    }

    /** Whether this JVM started the control plane (and stops it at exit). */
    public boolean ownsControlPlane() {
        return ownedStateDir != null;
    }

    /**
     * Starts GPU node simulator with a unique node prefix (so tests never share nodes), shaped by {@code shape} from
     * {@link SimulatorOptions#defaults()} with one node and the simulator flags of {@code QUARTET_SIM_FLAGS} (or
     * {@code -Dquartet.sim.flags}), e.g. {@code --strict} or {@code --device-choice random --seed 7}: how a whole test
     * run is switched to NVIDIA's stricter behaviours ({@link StrictnessFlags}); what {@code shape} sets wins. Close
     * it at the end of the test (its nodes are deleted); whatever is still open is closed at JVM exit.
     */
    public GpuNodeSimulator startSimulator(UnaryOperator<SimulatorOptions> shape) {
        String prefix = "t" + runId + "-" + counter.incrementAndGet() + "-gpu-";
        SimulatorOptions base =
                StrictnessFlags.fromEnvironment(SimulatorOptions.defaults().withNodes(1));
        SimulatorOptions options = shape.apply(base).withNodePrefix(prefix);
        GpuNodeSimulator sim = GpuNodeSimulator.start(client, options);
        simulators.add(sim);
        return sim;
    }

    /** A simulator with one node of 4 A30 GPUs, MIG enabled without instances. */
    public GpuNodeSimulator startSimulator() {
        return startSimulator(UnaryOperator.identity());
    }

    /** Creates a namespace with a unique name starting with {@code prefix}; returns its name. */
    public String createNamespace(String prefix) {
        String name = (prefix + "-" + runId + "-" + counter.incrementAndGet()).toLowerCase(Locale.ROOT);
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .build())
                .create();
        client.serviceAccounts()
                .inNamespace(name)
                .withName("default")
                .waitUntilCondition(sa -> sa != null, 60, TimeUnit.SECONDS);
        return name;
    }

    /**
     * Waits until the named CustomResourceDefinition is Established. Right after a create the API server may answer
     * with a status that has no conditions yet, so an absent list counts as "not yet".
     */
    public void awaitCrdEstablished(String name) {
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(name)
                .waitUntilCondition(LocalCluster::isEstablished, 60, TimeUnit.SECONDS);
    }

    private static boolean isEstablished(CustomResourceDefinition crd) {
        List<CustomResourceDefinitionCondition> conditions =
                crd == null || crd.getStatus() == null ? null : crd.getStatus().getConditions();
        return conditions != null
                && conditions.stream().anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Deletes a namespace (and everything in it) without waiting. */
    public void deleteNamespace(String name) {
        client.namespaces().withName(name).delete();
    }

    private void shutdown() {
        for (GpuNodeSimulator sim : simulators) {
            sim.close();
        }
        client.close();
        if (ownedStateDir != null) {
            Path script = repositoryRoot.resolve("hack/local-cluster.sh");
            run(
                    script,
                    ownedStateDir.resolveSibling(ownedStateDir.getFileName() + "-up.log"),
                    "down",
                    "--state-dir",
                    ownedStateDir.toString());
        }
    }

    private static String randomId(int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        Random random = new Random();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
