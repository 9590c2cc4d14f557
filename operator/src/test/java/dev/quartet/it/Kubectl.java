package dev.quartet.it;

import dev.quartet.testsupport.LocalCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command as a user would in a shell: the control plane's own kubectl, or {@code bin/kubectl-quartet}, with
 * the cluster's admin kubeconfig; standard output, standard error, exit code and how long it took.
 */
final class Kubectl {

    /** What a run printed, and how it ended. */
    record Run(int exit, String out, String err, long millis) {

        /** The warnings kubectl printed ({@code Warning: <text>} lines on standard error), without the prefix. */
        List<String> warnings() {
            return err.lines()
                    .filter(l -> l.startsWith("Warning: "))
                    .map(l -> l.substring("Warning: ".length()))
                    .toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + " after " + millis + " ms\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Kubectl() {}

    static Run kubectl(LocalCluster cluster, String... args) {
        return kubectlStdin(cluster, null, args);
    }

    static Run kubectlStdin(LocalCluster cluster, String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(
                cluster.kubectl().toString(),
                "--kubeconfig",
                cluster.kubeconfig().toString()));
        command.addAll(List.of(args));
        return run(command, stdin, Map.of());
    }

    /** {@code bin/kubectl-quartet} with the cluster's kubeconfig, as {@code kubectl quartet ...} would run it. */
    static Run quartet(LocalCluster cluster, String... args) {
        List<String> command = new ArrayList<>(
                List.of(Path.of("../bin/kubectl-quartet").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        return run(command, null, Map.of("KUBECONFIG", cluster.kubeconfig().toString()));
    }

    private static Run run(List<String> command, String stdin, Map<String, String> env) {
        try {
            Path out = Files.createTempFile("kubectl", ".out");
            Path err = Files.createTempFile("kubectl", ".err");
            try {
                ProcessBuilder builder =
                        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                builder.environment().keySet().removeIf(k -> k.startsWith("QUARTET_") || k.equals("KUBECONFIG"));
                builder.environment().putAll(env);
                long start = System.nanoTime();
                Process p = builder.start();
                try (var in = p.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(StandardCharsets.UTF_8));
                    }
                }
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in 120 s");
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                return new Run(p.exitValue(), Files.readString(out), Files.readString(err), millis);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
