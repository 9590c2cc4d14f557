package dev.quartet.agent;

import dev.quartet.podresources.v1.PodResources;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged node agent ({@code target/quarkus-app}) run as its own process against doubles of everything around
 * it on a node: fabric8's API server double (CRUD mode), a PodResources server on a unix socket
 * ({@link PodResourcesDouble}), and the fake NVML with a state file of A30 GPUs at 4x1g.6gb. Used by AgentProcessIT
 * and, through {@link #main}, by hack/bench-agent.sh to measure the agent's resident memory.
 */
public final class AgentHarness implements AutoCloseable {

    public static final String NODE = "gpu-node-1";
    public static final int GPUS = 4;
    public static final int SLICES = 4;

    private final Path dir;
    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final PodResourcesDouble kubelet;
    private final Map<String, String> holders = new LinkedHashMap<>();
    private final Map<String, Long> pids = new HashMap<>();
    private Process agent;

    public AgentHarness(Path dir) {
        this.dir = dir;
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new OneNodeDispatcher(), false);
        server.init();
        client = server.createClient();
        client.nodes()
                .resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(NODE)
                        .endMetadata()
                        .build())
                .create();
        kubelet = new PodResourcesDouble(dir.resolve("kubelet.sock"));
        writeState();
    }

    /**
     * The double's CRUD dispatcher answers a {@code spec.nodeName} field selector (which the agent's pod informer
     * uses, as the API server supports it) with no pod at all; every pod of this double is on the agent's node, so the
     * selector is dropped.
     */
    static final class OneNodeDispatcher extends KubernetesCrudDispatcher {
        private static String withoutNodeSelector(String path) {
            return path.replaceAll("fieldSelector=spec\\.nodeName(%3D|=)[^&]*&?", "");
        }

        @Override
        public io.fabric8.mockwebserver.http.MockResponse handleGet(String path) {
            return super.handleGet(withoutNodeSelector(path));
        }

        @Override
        public io.fabric8.mockwebserver.http.MockResponse handleWatch(String path) {
            return super.handleWatch(withoutNodeSelector(path));
        }
    }

    public KubernetesClient client() {
        return client;
    }

    /** The MIG device UUID of GPU {@code gpu}, slot {@code start}. */
    public static String uuid(int gpu, int start) {
        return "MIG-00000000-0000-0000-00" + gpu + start + "-000000000000";
    }

    /** The annotation the agent must write for a pod holding that device. */
    public static String annotation(int gpu, int start) {
        return "{\"gpu\":" + gpu + ",\"profile\":\"1g.6gb\",\"start\":" + start + ",\"uuid\":\"" + uuid(gpu, start)
                + "\"}";
    }

    /** A pod of this node holding GPU {@code gpu}'s slice at {@code start}, with a process running on it. */
    public synchronized void startPod(String name, int gpu, int start) {
        client.pods()
                .inNamespace("ml")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withNamespace("ml")
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName(NODE)
                        .endSpec()
                        .build())
                .create();
        holders.put(uuid(gpu, start), name);
        pids.put(uuid(gpu, start), 1000L + gpu * 10 + start);
        List<PodResources> pods = new ArrayList<>();
        holders.forEach(
                (uuid, pod) -> pods.add(PodResourcesDouble.pod("ml", pod, "worker", "nvidia.com/mig-1g.6gb", uuid)));
        kubelet.list(pods);
        writeState();
    }

    private void writeState() {
        StringBuilder state = new StringBuilder();
        for (int g = 0; g < GPUS; g++) {
            state.append("gpu ").append(g).append(" GPU-0000000").append(g).append("-0000-0000-0000-000000000000");
            state.append(" 24576 1 1 NVIDIA A30\n");
            state.append("profile ").append(g).append(" 0 14 1 4 14 6144 0:1,1:1,2:1,3:1\n");
            state.append("profile ").append(g).append(" 1 5 2 2 28 12288 0:2,2:2\n");
            state.append("profile ").append(g).append(" 3 0 4 1 56 24576 0:4\n");
            state.append("profile ").append(g).append(" 7 21 1 1 14 6144 0:1,1:1,2:1,3:1\n");
            state.append("profile ").append(g).append(" 8 6 2 1 28 12288 0:2,2:2\n");
            for (int s = 0; s < SLICES; s++) {
                state.append("gi ")
                        .append(g)
                        .append(' ')
                        .append(s + 1)
                        .append(" 14 ")
                        .append(s)
                        .append(" 1\n");
                Long pid = pids.get(uuid(g, s));
                state.append("mig ")
                        .append(g)
                        .append(' ')
                        .append(s)
                        .append(' ')
                        .append(s + 1)
                        .append(" 0 ");
                state.append(uuid(g, s))
                        .append(' ')
                        .append(pid == null ? "-" : pid.toString())
                        .append('\n');
            }
        }
        try {
            Path tmp = dir.resolve("nvml-state.tmp");
            Files.writeString(tmp, state);
            Files.move(tmp, dir.resolve("nvml-state"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the packaged agent with these JVM options; its output goes to {@code agent.log}. */
    public Process startAgent(Path app, String library, List<String> jvmOptions) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(app.resolve("quarkus-run.jar").toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("QUARTET_AGENT_NODE_NAME", NODE);
        env.put(
                "QUARTET_AGENT_POD_RESOURCES_SOCKET",
                dir.resolve("kubelet.sock").toString());
        env.put("QUARTET_AGENT_NVML_LIBRARY", library);
        env.put("QUARTET_AGENT_RESYNC_INTERVAL", "5s");
        env.put("QUARTET_LOG_LEVEL", System.getProperty("quartet.agent.log-level", "DEBUG"));
        env.put("QUARTET_FAKE_NVML_STATE", dir.resolve("nvml-state").toString());
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: double, cluster: {server: "%s"}}]
                users: [{name: agent, user: {token: not-checked}}]
                contexts: [{name: double, context: {cluster: double, user: agent}}]
                current-context: double
                """.formatted(server.url("/")));
        env.put("KUBECONFIG", kubeconfig.toString());
        agent = builder.start();
        return agent;
    }

    public String agentLog() throws IOException {
        return Files.readString(dir.resolve("agent.log"));
    }

    /** Paths the API server saw PATCH requests on since the last call. */
    public List<String> patches() throws InterruptedException {
        List<String> paths = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
            if ("PATCH".equals(request.getMethod())) {
                paths.add(request.getPath());
            }
        }
        return paths;
    }

    /** The agent's resident set size (VmRSS of /proc/PID/status), in KiB. */
    public long agentRssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(agent.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + agent.pid());
    }

    @Override
    public void close() {
        if (agent != null) {
            agent.destroy();
            try {
                if (!agent.waitFor(10, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            } catch (InterruptedException e) {
                agent.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        kubelet.close();
        client.close();
        server.destroy();
    }

    /**
     * hack/bench-agent.sh: {@code AgentHarness APP LIBRARY SECONDS [JVM options...]} starts the agent, gives it one pod
     * per slice (16), waits until all are annotated, then samples its RSS every second and prints the figures.
     */
    public static void main(String[] args) throws Exception {
        Path app = Path.of(args[0]);
        String library = args[1];
        int seconds = Integer.parseInt(args[2]);
        List<String> jvm = List.of(args).subList(3, args.length);
        Path dir = Files.createTempDirectory("agent-bench");
        try (AgentHarness harness = new AgentHarness(dir)) {
            harness.startAgent(app, library, jvm);
            for (int g = 0; g < GPUS; g++) {
                for (int s = 0; s < SLICES; s++) {
                    harness.startPod("replica-" + g + "-" + s, g, s);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!harness.allAnnotated()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the agent did not annotate every pod:\n" + harness.agentLog());
                }
                Thread.sleep(200);
            }
            long max = 0;
            long last = 0;
            for (int i = 0; i < seconds; i++) {
                last = harness.agentRssKiB();
                max = Math.max(max, last);
                Thread.sleep(1000);
            }
            System.out.printf(
                    "agent JVM options: %s%npods: %d, GPUs: %d%nRSS after %d s: %d KiB (%.1f MiB); max while sampled: %d KiB"
                            + " (%.1f MiB)%n",
                    jvm, GPUS * SLICES, GPUS, seconds, last, last / 1024.0, max, max / 1024.0);
        }
    }

    boolean allAnnotated() {
        for (int g = 0; g < GPUS; g++) {
            for (int s = 0; s < SLICES; s++) {
                var pod = client.pods()
                        .inNamespace("ml")
                        .withName("replica-" + g + "-" + s)
                        .get();
                if (pod == null
                        || pod.getMetadata().getAnnotations() == null
                        || !annotation(g, s)
                                .equals(pod.getMetadata().getAnnotations().get("quartet.dev/mig-device"))) {
                    return false;
                }
            }
        }
        return true;
    }
}
