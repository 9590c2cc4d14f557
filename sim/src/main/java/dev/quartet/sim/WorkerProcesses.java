package dev.quartet.sim;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Worker-process mode: runs the Quartet worker of a pod as a real local {@code java -jar} process, so the path
 * from {@code kubectl apply} to an inference answer is real except the GPU.
 */
final class WorkerProcesses implements AutoCloseable {

    static final String WORKER_IMAGE_MARKER = "quartet-worker";
    static final String WORKER_URL_ANNOTATION = "sim.quartet.dev/worker-url";
    /** {@code 127.0.0.1:<port>} of the worker process' gRPC endpoint (OIP v2 over gRPC). */
    static final String WORKER_GRPC_ANNOTATION = "sim.quartet.dev/worker-grpc";
    /** The kubelet keeps at most this much of a termination message, and of a log tail used as one. */
    static final int TERMINATION_MESSAGE_BYTES = 4096;

    private static final int LOG_TAIL_BYTES = 2048;
    private static final int LOG_TAIL_LINES = 80;
    private static final Logger LOG = Logger.getLogger(WorkerProcesses.class.getName());

    /** A running worker process of one pod. */
    record WorkerProcess(
            String podUid, String pod, Process process, int port, int grpcPort, Path log, Path terminationLog) {
        String url() {
            return "http://127.0.0.1:" + port;
        }

        String grpcAddress() {
            return "127.0.0.1:" + grpcPort;
        }
    }

    /** Environment variable capping how many worker processes run at once (0 or unset: no cap). */
    static final String LIMIT_ENV = "QUARTET_SIM_MAX_WORKER_PROCESSES";

    private final SimulatorOptions options;
    private final int limit;
    private final Map<String, WorkerProcess> running = new ConcurrentHashMap<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    WorkerProcesses(SimulatorOptions options) {
        this.options = options;
        String cap = System.getenv(LIMIT_ENV);
        this.limit = cap == null || cap.isBlank() ? 0 : Integer.parseInt(cap.trim());
    }

    /**
     * Whether this pod is run as a worker process: mode on, its first container's image is the worker's, and
     * fewer than {@value #LIMIT_ENV} workers run (each is a JVM; past the cap pods run as plain simulated
     * containers, Ready at once, so a laptop can hold a demo with dozens of replicas).
     */
    boolean handles(Pod pod) {
        List<Container> containers = pod.getSpec().getContainers();
        boolean worker = options.workerProcesses()
                && !containers.isEmpty()
                && containers.get(0).getImage() != null
                && containers.get(0).getImage().contains(WORKER_IMAGE_MARKER);
        if (worker && limit > 0 && running.size() >= limit) {
            LOG.info(() -> "pod " + pod.getMetadata().getName() + ": " + limit + " worker processes already run ("
                    + LIMIT_ENV + "); simulated without a process");
            return false;
        }
        return worker;
    }

    /** Starts the worker for {@code pod}, seeing MIG device {@code migUuid}. */
    WorkerProcess start(Pod pod, String migUuid) throws IOException {
        Path jar = options.workerJar().toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IOException("worker jar " + jar + " not found (build worker-image first)");
        }
        Container container = pod.getSpec().getContainers().get(0);
        int port = freePort();
        int grpcPort = freePort();
        Files.createDirectories(options.workerLogDir());
        String podName =
                pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        Path log = options.workerLogDir().resolve(podName.replace('/', '_') + ".log");
        // As the kubelet mounts an empty /dev/termination-log into every container start.
        Path terminationLog = options.workerLogDir().resolve(podName.replace('/', '_') + ".termination-log");
        Files.write(terminationLog, new byte[0]);
        Map<String, String> env = environment(pod, container, port, migUuid);
        env.put("QUARKUS_GRPC_SERVER_HOST", "127.0.0.1");
        env.put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(grpcPort));
        env.put(
                "QUARTET_TERMINATION_MESSAGE_PATH",
                terminationLog.toAbsolutePath().toString());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseSerialGC");
        Quantity memory =
                container.getResources() == null || container.getResources().getLimits() == null
                        ? null
                        : container.getResources().getLimits().get("memory");
        if (memory != null) {
            // size the JVM as a container with this memory limit would
            command.add("-XX:MaxRAM=" + Quantity.getAmountInBytes(memory).toBigInteger());
        }
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .directory(jar.getParent().toFile());
        pb.environment().putAll(env);
        Process process = pb.start();
        WorkerProcess worker =
                new WorkerProcess(pod.getMetadata().getUid(), podName, process, port, grpcPort, log, terminationLog);
        running.put(worker.podUid(), worker);
        LOG.info(() ->
                "started worker for pod " + podName + " pid " + process.pid() + " on port " + port + ", log " + log);
        return worker;
    }

    /** The container's environment as the pod spec gives it, plus what the kubelet and device plugin add. */
    Map<String, String> environment(Pod pod, Container container, int port, String migUuid) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
            String value = e.getValue();
            if (value == null && e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
                value = switch (e.getValueFrom().getFieldRef().getFieldPath()) {
                    case "metadata.name" -> pod.getMetadata().getName();
                    case "metadata.namespace" -> pod.getMetadata().getNamespace();
                    case "spec.nodeName" -> pod.getSpec().getNodeName();
                    default -> null;
                };
            }
            if (value != null) {
                env.put(e.getName(), value);
            } else {
                LOG.warning(() -> "pod " + pod.getMetadata().getName() + ": env " + e.getName()
                        + " uses a source the simulator does not resolve; left unset");
            }
        }
        String uri = env.get("QUARTET_MODEL_URI");
        if (uri != null && uri.startsWith("file:///models/") && options.workerModelRoot() != null) {
            env.put(
                    "QUARTET_MODEL_URI",
                    options.workerModelRoot()
                                    .toAbsolutePath()
                                    .toUri()
                                    .toString()
                                    .replaceAll("/$", "")
                            + uri.substring("file:///models".length()));
        }
        env.put("HOSTNAME", pod.getMetadata().getName());
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("NVIDIA_VISIBLE_DEVICES", migUuid == null ? "void" : migUuid);
        return env;
    }

    /** Asks the worker's readiness endpoint; completes with true only on HTTP 200. */
    CompletableFuture<Boolean> probeReady(WorkerProcess worker) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(worker.url() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .thenApply(r -> r.statusCode() == 200)
                .exceptionally(t -> false);
    }

    /**
     * What the kubelet reports as the ended container's termination message: the file the worker wrote, or, when it
     * wrote nothing, failed, and the container's terminationMessagePolicy is FallbackToLogsOnError, the end of its log
     * (the kubelet's last 80 lines or 2 kB); at most 4 kB.
     */
    String terminationMessage(WorkerProcess worker, Container container, int exitCode) {
        try {
            String written =
                    Files.isRegularFile(worker.terminationLog()) ? Files.readString(worker.terminationLog()) : "";
            if (!written.isEmpty()
                    || exitCode == 0
                    || !"FallbackToLogsOnError".equals(container.getTerminationMessagePolicy())
                    || !Files.isRegularFile(worker.log())) {
                return cut(written, TERMINATION_MESSAGE_BYTES);
            }
            List<String> lines = Files.readAllLines(worker.log());
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
            return tail.length() > LOG_TAIL_BYTES ? tail.substring(tail.length() - LOG_TAIL_BYTES) : tail;
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    private static String cut(String text, int bytes) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return b.length <= bytes ? text : new String(b, 0, bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Forgets a worker whose process has ended by itself (its container is restarted with a new process). */
    void exited(String podUid) {
        running.remove(podUid);
    }

    /** Kills the worker of this pod, if any. */
    void stop(String podUid) {
        WorkerProcess worker = running.remove(podUid);
        if (worker != null) {
            kill(worker);
        }
    }

    boolean isRunning(String podUid) {
        return running.containsKey(podUid);
    }

    /** Whether {@code worker} is the process its pod runs now (not one that ended and was replaced). */
    boolean isCurrent(WorkerProcess worker) {
        return running.get(worker.podUid()) == worker;
    }

    private static void kill(WorkerProcess worker) {
        Process p = worker.process();
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        LOG.info(() -> "stopped worker of pod " + worker.pod() + " (pid " + p.pid() + ")");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        new ArrayList<>(running.keySet()).forEach(this::stop);
    }
}
