package dev.quartet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged operator ({@code operator/target/quarkus-app/quarkus-run.jar}) running as its own process, as
 * in a pod: tests can kill it at any moment and start it again to prove it resumes from cluster state.
 */
final class OperatorProcess implements AutoCloseable {

    private static final Path JAR =
            Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();

    /** The JVM options the integration tests run the operator with (small, fast to start). */
    static final List<String> TEST_JVM_OPTIONS = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final Map<String, String> env;
    private final Path logDir;
    private final List<String> jvmOptions;
    private Process process;
    private int starts;

    private OperatorProcess(Map<String, String> env, Path logDir, List<String> jvmOptions) {
        this.env = env;
        this.logDir = logDir;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** Starts the operator with {@code kubeconfig} and extra environment (QUARTET_* settings). */
    static OperatorProcess start(Path kubeconfig, String leaseNamespace, Map<String, String> settings, Path logDir) {
        return start(kubeconfig, leaseNamespace, settings, logDir, TEST_JVM_OPTIONS);
    }

    /** As above with these JVM options (the benchmark passes the chart's). */
    static OperatorProcess start(
            Path kubeconfig,
            String leaseNamespace,
            Map<String, String> settings,
            Path logDir,
            List<String> jvmOptions) {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: these tests run after `./mvnw -pl operator package`");
        }
        Map<String, String> env = new LinkedHashMap<>(settings);
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("POD_NAMESPACE", leaseNamespace);
        env.put("QUARTET_HTTP_PORT", "0");
        // every IT runs on the simulator, whose worker processes listen on localhost, not on a pod IP
        env.putIfAbsent("QUARTET_AUTOSCALING_SIMULATOR_WORKER_URLS", "true");
        OperatorProcess p = new OperatorProcess(env, logDir, jvmOptions);
        p.launch();
        return p;
    }

    private void launch() {
        try {
            Files.createDirectories(logDir);
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(jvmOptions);
            command.add("-jar");
            command.add(JAR.toString());
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("QUARTET_") || k.equals("KUBECONFIG"));
            pb.environment().putAll(env);
            Files.writeString(
                    log(),
                    "==== start " + (++starts) + "\n",
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path log() {
        return logDir.resolve("operator.log");
    }

    String logText() {
        try {
            return Files.readString(log());
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGKILL: no shutdown hook runs, exactly like a crashed or OOM-killed pod. */
    void kill() {
        process.destroyForcibly();
        waitFor();
    }

    /** SIGTERM and wait, like a pod deletion. */
    void stop() {
        process.destroy();
        waitFor();
    }

    void restart() {
        launch();
    }

    /** The operating-system process id, for resident-memory readings. */
    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    private void waitFor() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (alive()) {
            stop();
        }
    }
}
