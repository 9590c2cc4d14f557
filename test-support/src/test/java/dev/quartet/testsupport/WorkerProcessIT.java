package dev.quartet.testsupport;

import static dev.quartet.testsupport.ClusterAssertions.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.sim.GpuNodeSimulator;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Worker-process mode: a pod whose image is the Quartet worker runs as a real local process. */
@WithLocalCluster
class WorkerProcessIT {

    /** A stand-in worker: readiness follows a gate file; /env echoes what the simulator passed in. */
    private static final String FAKE_WORKER = """
      import com.sun.net.httpserver.HttpServer;
      import java.net.InetSocketAddress;
      import java.nio.file.Files;
      import java.nio.file.Path;
      public class FakeWorker {
        public static void main(String[] args) throws Exception {
          Path gate = Path.of(System.getenv("FAKE_READY_FILE"));
          HttpServer s = HttpServer.create(new InetSocketAddress(System.getenv("QUARKUS_HTTP_HOST"),
              Integer.parseInt(System.getenv("QUARKUS_HTTP_PORT"))), 0);
          s.createContext("/q/health/ready", x -> { x.sendResponseHeaders(Files.exists(gate) ? 200 : 503, -1); x.close(); });
          s.createContext("/env", x -> {
            byte[] b = (System.getenv("NVIDIA_VISIBLE_DEVICES") + "\\n" + System.getenv("QUARTET_MODEL_URI")
                + "\\n" + System.getenv("QUARTET_MODEL_NAME")).getBytes();
            x.sendResponseHeaders(200, b.length); x.getResponseBody().write(b); x.close(); });
          s.start();
          System.out.println("fake worker listening");
        }
      }
      """;

    private static String ns;
    private final LocalCluster cluster;
    private final KubernetesClient client;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    WorkerProcessIT(LocalCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @BeforeAll
    static void createNamespace(LocalCluster cluster) {
        ns = cluster.createNamespace("it-worker");
    }

    @AfterAll
    static void deleteNamespace(LocalCluster cluster) {
        cluster.deleteNamespace(ns);
    }

    static Path buildFakeWorkerJar(Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("FakeWorker.java"), FAKE_WORKER);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), src.toString());
        assertThat(rc).as("javac of the fake worker").isZero();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "FakeWorker");
        Path jar = dir.resolve("fake-worker.jar");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.putNextEntry(new JarEntry("FakeWorker.class"));
            j.write(Files.readAllBytes(classes.resolve("FakeWorker.class")));
            j.closeEntry();
        }
        return jar;
    }

    private static Pod workerPod(String name, String node, Map<String, String> env) {
        Pod pod =
                TestPods.pod(ns, name, node, "registry.local/quartet-worker:test", Map.of("nvidia.com/mig-1g.6gb", 1));
        env.forEach((k, v) -> pod.getSpec().getContainers().get(0).getEnv().add(new EnvVar(k, v, null)));
        return pod;
    }

    private int get(String url) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private String body(String url) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    @Test
    void aWorkerPodRunsAsALocalProcessReadyOnlyWhenItsHealthSaysSoAndDiesWithThePod(@TempDir Path tmp)
            throws Exception {
        Path jar = buildFakeWorkerJar(tmp);
        Path models = Files.createDirectories(tmp.resolve("models"));
        Path gate = tmp.resolve("ready");
        try (GpuNodeSimulator sim = cluster.startSimulator(o ->
                o.withGpusPerNode(1).withLayout("4x1g.6gb").withWorkerProcesses(jar, models, tmp.resolve("logs")))) {
            String node = sim.nodeNames().get(0);
            String name = node + "-worker";
            client.pods()
                    .inNamespace(ns)
                    .resource(workerPod(
                            name,
                            node,
                            Map.of(
                                    "QUARTET_MODEL_URI",
                                    "file:///models/resnet/model.onnx",
                                    "QUARTET_MODEL_NAME",
                                    "resnet",
                                    "FAKE_READY_FILE",
                                    gate.toString())))
                    .create();
            eventually().until(() -> {
                Pod p = client.pods().inNamespace(ns).withName(name).get();
                // running, and its MIG device reported by the node's agent (a second or so later)
                return p.getStatus() != null
                        && "Running".equals(p.getStatus().getPhase())
                        && TestPods.migDevice(p).isPresent();
            });
            Pod pod = client.pods().inNamespace(ns).withName(name).get();
            String url = pod.getMetadata().getAnnotations().get(GpuNodeSimulator.WORKER_URL_ANNOTATION);
            assertThat(url).startsWith("http://127.0.0.1:");
            // the process may not listen yet: a refused connection means "not yet"
            eventually().ignoreExceptions().until(() -> get(url + "/q/health/ready") == 503);
            Thread.sleep(1500);
            assertThat(TestPods.isRunningAndReady(
                            client.pods().inNamespace(ns).withName(name).get()))
                    .isFalse();

            List<String> env = body(url + "/env").lines().toList();
            assertThat(env.get(0))
                    .isEqualTo(TestPods.migDevice(pod).orElseThrow().uuid())
                    .startsWith("MIG-");
            assertThat(env.get(1)).isEqualTo(models.toUri().toString() + "resnet/model.onnx");
            assertThat(env.get(2)).isEqualTo("resnet");

            Files.createFile(gate);
            eventually()
                    .until(() -> TestPods.isRunningAndReady(
                            client.pods().inNamespace(ns).withName(name).get()));
            assertThat(Files.readString(tmp.resolve("logs").resolve(ns + "_" + name + ".log")))
                    .contains("fake worker");

            client.pods().inNamespace(ns).withName(name).delete();
            eventually()
                    .until(() -> client.pods().inNamespace(ns).withName(name).get() == null);
            assertThatThrownBy(() -> get(url + "/q/health/ready")).isInstanceOf(IOException.class);
            assertThat(ProcessHandle.allProcesses()
                            .flatMap(p -> p.info().commandLine().stream())
                            .filter(c -> c.contains(jar.toString())))
                    .isEmpty();
        }
    }

    @Test
    void theRealWorkerServesAModelFromTheRepository(@TempDir Path tmp) throws Exception {
        Path root = cluster.repositoryRoot();
        // Elsewhere than CI, the fake-worker test still covers the simulator side when the worker is not built.
        Path jar = BuildProducts.require(
                root.resolve("worker-image/target/quarkus-app/quarkus-run.jar"),
                "./mvnw -B -pl worker-image package -DskipTests");
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withGpusPerNode(1)
                .withLayout("4x1g.6gb")
                .withWorkerProcesses(jar, root.resolve("worker-image/models"), tmp))) {
            String node = sim.nodeNames().get(0);
            String name = node + "-real";
            client.pods()
                    .inNamespace(ns)
                    .resource(workerPod(
                            name,
                            node,
                            Map.of(
                                    "QUARTET_MODEL_URI",
                                    "file:///models/tiny-resnet.onnx",
                                    "QUARTET_MODEL_NAME",
                                    "tiny",
                                    "QUARTET_MODEL_FORMAT",
                                    "onnx",
                                    // The CPU-only worker on a simulated MIG slice: serving on the CPU must be allowed.
                                    "QUARTET_ENGINE_ALLOW_CPU_FALLBACK",
                                    "true")))
                    .create();
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> TestPods.isRunningAndReady(
                            client.pods().inNamespace(ns).withName(name).get()));
            String url = client.pods()
                    .inNamespace(ns)
                    .withName(name)
                    .get()
                    .getMetadata()
                    .getAnnotations()
                    .get(GpuNodeSimulator.WORKER_URL_ANNOTATION);
            assertThat(get(url + "/q/health/ready")).isEqualTo(200);
            client.pods().inNamespace(ns).withName(name).delete();
            eventually()
                    .until(() -> client.pods().inNamespace(ns).withName(name).get() == null);
        }
    }
}
