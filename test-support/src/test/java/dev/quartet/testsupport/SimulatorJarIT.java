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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone simulator jar, as hack/local-cluster.sh runs it: flags, nodes, clean exit on SIGTERM. */
@WithLocalCluster
class SimulatorJarIT {

  @Test
  void theCommandLineSimulatorRegistersShapedNodesAndRemovesThemOnSigterm(LocalCluster cluster, @TempDir Path tmp)
      throws Exception {
    Path jar = cluster.repositoryRoot().resolve("sim/target/quartet-gpu-sim.jar");
    Assumptions.assumeTrue(Files.isRegularFile(jar), jar + " missing: build the sim module (package) first");
    KubernetesClient client = cluster.client();
    String prefix = "cli-" + Long.toString(System.nanoTime() % 1_000_000, 36) + "-";
    Process sim = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:+UseSerialGC", "-jar", jar.toString(),
        "--kubeconfig", cluster.kubeconfig().toString(), "--nodes", "2", "--gpus-per-node", "2",
        "--gpu-model", "A30", "--layout", "2x1g.6gb+1x2g.12gb", "--node-prefix", prefix,
        "--reconfigure-delay-ms", "100").redirectErrorStream(true)
        .redirectOutput(tmp.resolve("sim.log").toFile()).start();
    try {
      List<String> nodes = List.of(prefix + "1", prefix + "2");
      eventually().untilAsserted(() -> nodes.forEach(n -> assertThat(readyStatus(client, n)).isEqualTo("True")));
      for (String n : nodes) {
        assertThat(label(client, n, "nvidia.com/mig.config")).isEqualTo("all-balanced");
        assertThat(allocatable(client, n)).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4, "nvidia.com/mig-2g.12gb", 2));
      }
      assertThat(selectConfigAndWait(client, nodes.get(1), "all-1g.6gb")).isEqualTo("success");
      assertThat(allocatable(client, nodes.get(1))).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 8));

      sim.destroy();
      assertThat(sim.waitFor(30, TimeUnit.SECONDS)).as("simulator exits on SIGTERM").isTrue();
      nodes.forEach(n -> assertThat(client.nodes().withName(n).get()).as(n + " deleted").isNull());
    } finally {
      sim.destroyForcibly();
      System.out.println(Files.readString(tmp.resolve("sim.log")));
    }
  }
}
