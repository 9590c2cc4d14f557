package dev.quartet.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Can one standalone simulator (the jar, with hack/local-cluster.sh's JVM options) carry many nodes? It registers
 * {@code -Dquartet.scale.nodes} nodes of 4 A30 and keeps them for {@code -Dquartet.scale.seconds} (default 180),
 * while this test reads every lease each few seconds: no node may go NotReady, no lease may be older than the node
 * lifecycle controller's grace period (40 s). Prints what it cost (CPU of the simulator process from
 * {@code /proc/<pid>/stat}, resident memory from {@code /proc/<pid>/status}). With {@code -Dquartet.scale.pods=N} it
 * first runs N one-slice pods the scheduler spreads over the nodes, and keeps them through the window. Heavy, so only
 * on request: {@code ./mvnw -pl sim,test-support -am verify -Dit.test=SimulatorScaleIT -Dquartet.scale.nodes=250}.
 */
@WithLocalCluster
@EnabledIfSystemProperty(named = "quartet.scale.nodes", matches = "\\d+")
class SimulatorScaleIT {

    private static final List<String> SCRIPT_JVM_OPTIONS = List.of(
            "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:ReservedCodeCacheSize=32m");
    private static final Duration GRACE = Duration.ofSeconds(40);

    @Test
    void oneSimulatorRegistersAndHeartbeatsManyNodesWithoutFallingBehind(LocalCluster cluster, @TempDir Path tmp)
            throws Exception {
        int nodes = Integer.getInteger("quartet.scale.nodes");
        Duration window = Duration.ofSeconds(Long.getLong("quartet.scale.seconds", 180));
        Path built = BuildProducts.require(
                cluster.repositoryRoot().resolve("sim/target/quartet-gpu-sim.jar"), "./mvnw -B -pl sim package");
        Path jar = Files.copy(built, tmp.resolve("quartet-gpu-sim.jar"));
        KubernetesClient client = cluster.client();
        String prefix = "scale-" + Long.toString(System.nanoTime() % 1_000_000, 36) + "-";
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(SCRIPT_JVM_OPTIONS);
        command.addAll(List.of(
                "-jar",
                jar.toString(),
                "--kubeconfig",
                cluster.kubeconfig().toString(),
                "--nodes",
                Integer.toString(nodes),
                "--gpus-per-node",
                "4",
                "--layout",
                "4x1g.6gb",
                "--node-prefix",
                prefix));
        Instant started = Instant.now();
        Process sim = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("sim.log").toFile())
                .start();
        try {
            ClusterAssertions.eventually()
                    .atMost(Duration.ofMinutes(10))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> ready(client, prefix) == nodes);
            Duration registration = Duration.between(started, Instant.now());
            long cpuAtReady = cpuMillis(sim.pid());
            long rssAtReady = statusKb(sim.pid(), "VmRSS");
            int pods = Integer.getInteger("quartet.scale.pods", 0);
            String ns = pods > 0 ? cluster.createNamespace("scale") : null;
            Duration podsRunning = Duration.ZERO;
            if (pods > 0) {
                Instant creating = Instant.now();
                for (int i = 0; i < pods; i++) {
                    var pod = TestPods.slicePod(ns, "p" + i, "any", "1g.6gb");
                    pod.getSpec().setNodeSelector(java.util.Map.of("quartet.dev/simulated", "true"));
                    client.pods().inNamespace(ns).resource(pod).create();
                }
                ClusterAssertions.eventually()
                        .atMost(Duration.ofMinutes(15))
                        .pollInterval(Duration.ofSeconds(2))
                        .until(() -> client.pods().inNamespace(ns).list().getItems().stream()
                                        .filter(TestPods::isRunningAndReady)
                                        .count()
                                == pods);
                podsRunning = Duration.between(creating, Instant.now());
            }
            long cpuAtPods = cpuMillis(sim.pid());

            Instant windowStart = Instant.now();
            Duration oldestLease = Duration.ZERO;
            int minReady = nodes;
            int samples = 0;
            while (Duration.between(windowStart, Instant.now()).compareTo(window) < 0) {
                Thread.sleep(5000);
                Instant now = Instant.now();
                for (Lease lease :
                        client.leases().inNamespace("kube-node-lease").list().getItems()) {
                    if (!lease.getMetadata().getName().startsWith(prefix)) {
                        continue;
                    }
                    ZonedDateTime renewed = lease.getSpec().getRenewTime();
                    Duration age = Duration.between(renewed.toInstant(), now);
                    if (age.compareTo(oldestLease) > 0) {
                        oldestLease = age;
                    }
                }
                minReady = Math.min(minReady, ready(client, prefix));
                samples++;
            }
            double windowSeconds = Duration.between(windowStart, Instant.now()).toMillis() / 1000.0;
            long cpuWindow = cpuMillis(sim.pid()) - cpuAtPods;
            System.out.printf(
                    Locale.ROOT,
                    "SCALE %d nodes x 4 A30: all Ready %.1f s after start (simulator CPU %.1f s, RSS %d MiB);"
                            + " %d pods Running %.1f s after their creation began (simulator CPU %.1f s);"
                            + " over %.0f s (%d samples): oldest lease %.1f s, fewest Ready %d, simulator CPU %.1f %%"
                            + " of one core, RSS %d MiB, peak RSS %d MiB%n",
                    nodes,
                    registration.toMillis() / 1000.0,
                    cpuAtReady / 1000.0,
                    rssAtReady / 1024,
                    pods,
                    podsRunning.toMillis() / 1000.0,
                    (cpuAtPods - cpuAtReady) / 1000.0,
                    windowSeconds,
                    samples,
                    oldestLease.toMillis() / 1000.0,
                    minReady,
                    100.0 * cpuWindow / 1000.0 / windowSeconds,
                    statusKb(sim.pid(), "VmRSS") / 1024,
                    statusKb(sim.pid(), "VmHWM") / 1024);
            assertThat(minReady).as("nodes Ready at every sample").isEqualTo(nodes);
            assertThat(oldestLease).as("oldest lease seen").isLessThan(GRACE);

            if (ns != null) {
                cluster.deleteNamespace(ns);
            }
            sim.destroy();
            assertThat(sim.waitFor(120, TimeUnit.SECONDS))
                    .as("simulator exits on SIGTERM")
                    .isTrue();
            assertThat(Files.readString(tmp.resolve("sim.log"))).doesNotContain("simulator task failed");
        } finally {
            sim.destroyForcibly();
            List<String> log = Files.readAllLines(tmp.resolve("sim.log"));
            log.subList(Math.max(0, log.size() - 20), log.size()).forEach(System.out::println);
            client.nodes().list().getItems().stream()
                    .map(n -> n.getMetadata().getName())
                    .filter(n -> n.startsWith(prefix))
                    .forEach(n -> client.nodes().withName(n).delete());
        }
    }

    private static int ready(KubernetesClient client, String prefix) {
        int ready = 0;
        for (Node n : client.nodes().list().getItems()) {
            if (n.getMetadata().getName().startsWith(prefix)
                    && n.getStatus().getConditions() != null
                    && n.getStatus().getConditions().stream()
                            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))) {
                ready++;
            }
        }
        return ready;
    }

    /** User + system CPU time of a process, from /proc/<pid>/stat (clock ticks of 10 ms). */
    private static long cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
    }

    /** A {@code kB} field of /proc/<pid>/status. */
    private static long statusKb(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
