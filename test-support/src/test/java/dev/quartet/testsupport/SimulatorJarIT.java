package dev.quartet.testsupport;

import static dev.quartet.testsupport.ClusterAssertions.allocatable;
import static dev.quartet.testsupport.ClusterAssertions.eventually;
import static dev.quartet.testsupport.ClusterAssertions.label;
import static dev.quartet.testsupport.ClusterAssertions.readyStatus;
import static dev.quartet.testsupport.ClusterAssertions.selectConfigAndWait;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone simulator jar, as hack/local-cluster.sh runs it (a copy, with the script's JVM options): flags, nodes,
 * MIG config changes, pods admitted and terminated, clean exit on SIGTERM.
 */
@WithLocalCluster
class SimulatorJarIT {

    /** The simulator's JVM options in hack/local-cluster.sh (QUARTET_SIM_JAVA_OPTS unset). */
    private static final List<String> SCRIPT_JVM_OPTIONS = List.of(
            "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:ReservedCodeCacheSize=32m");

    @Test
    void theCommandLineSimulatorRunsPodsOnShapedNodesAndRemovesThemOnSigterm(LocalCluster cluster, @TempDir Path tmp)
            throws Exception {
        Path built = BuildProducts.require(
                cluster.repositoryRoot().resolve("sim/target/quartet-gpu-sim.jar"), "./mvnw -B -pl sim package");
        Path jar = Files.copy(built, tmp.resolve("quartet-gpu-sim.jar"));
        KubernetesClient client = cluster.client();
        String prefix = "cli-" + Long.toString(System.nanoTime() % 1_000_000, 36) + "-";
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(SCRIPT_JVM_OPTIONS);
        command.addAll(List.of(
                "-jar",
                jar.toString(),
                "--kubeconfig",
                cluster.kubeconfig().toString(),
                "--nodes",
                "2",
                "--gpus-per-node",
                "2",
                "--gpu-model",
                "A30",
                "--layout",
                "2x1g.6gb+1x2g.12gb",
                "--node-prefix",
                prefix,
                "--reconfigure-delay-ms",
                "100"));
        String ns = cluster.createNamespace("it-cli");
        Process sim = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("sim.log").toFile())
                .start();
        try {
            List<String> nodes = List.of(prefix + "1", prefix + "2");
            eventually()
                    .untilAsserted(() -> nodes.forEach(
                            n -> assertThat(readyStatus(client, n)).isEqualTo("True")));
            for (String n : nodes) {
                assertThat(label(client, n, "nvidia.com/mig.config")).isEqualTo("all-balanced");
                assertThat(allocatable(client, n))
                        .isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4, "nvidia.com/mig-2g.12gb", 2));
            }
            assertThat(selectConfigAndWait(client, nodes.get(1), "all-1g.6gb")).isEqualTo("success");
            // the device plugin registers again a moment after success (MIG Manager's operand shutdown)
            eventually()
                    .untilAsserted(() -> assertThat(allocatable(client, nodes.get(1)))
                            .isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 8)));

            // the simulated kubelet of the standalone process admits a pod the real scheduler bound to its node
            client.pods()
                    .inNamespace(ns)
                    .resource(TestPods.slicePod(ns, "cli-pod", nodes.get(0), "1g.6gb"))
                    .create();
            eventually()
                    .until(() -> TestPods.isRunningReadyAndReported(
                            client.pods().inNamespace(ns).withName("cli-pod").get()));
            assertThat(TestPods.migDevice(
                            client.pods().inNamespace(ns).withName("cli-pod").get()))
                    .hasValueSatisfying(d -> assertThat(d.profile()).isEqualTo("1g.6gb"));
            client.pods().inNamespace(ns).withName("cli-pod").delete();
            eventually()
                    .until(() ->
                            client.pods().inNamespace(ns).withName("cli-pod").get() == null);

            sim.destroy();
            assertThat(sim.waitFor(30, TimeUnit.SECONDS))
                    .as("simulator exits on SIGTERM")
                    .isTrue();
            nodes.forEach(n -> assertThat(client.nodes().withName(n).get())
                    .as(n + " deleted")
                    .isNull());
            assertThat(Files.readString(tmp.resolve("sim.log"))).doesNotContain("simulator task failed");
        } finally {
            sim.destroyForcibly();
            cluster.deleteNamespace(ns);
            System.out.println(Files.readString(tmp.resolve("sim.log")));
        }
    }
}
