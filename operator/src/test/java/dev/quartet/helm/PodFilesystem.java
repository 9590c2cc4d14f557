package dev.quartet.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A stand-in for the operator pod's filesystem, for running the packaged operator as the image's non-root user:
 * the app read-only (root-owned, world-readable, like an image layer), the ServiceAccount kubeconfig readable by
 * that user only (like a projected token), and a writable {@code tmp} (the chart's emptyDir). Staged under the
 * system temporary directory so that the user can reach it whatever the permissions of the checkout's parents.
 */
final class PodFilesystem {

    private PodFilesystem() {}

    /** Creates {@code app/}, {@code kubeconfig} and {@code tmp/}; {@code user} is {uid, gid}. */
    static Path stage(Path app, Path kubeconfig, int[] user) throws IOException {
        Path root = Files.createTempDirectory("quartet-operator-pod-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Stream<Path> files = Files.walk(app)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = root.resolve("app").resolve(app.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.copy(source, target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
        Path config = Files.copy(kubeconfig, root.resolve("kubeconfig"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Path tmp = Files.createDirectory(root.resolve("tmp"));
        for (Path owned : new Path[] {config, tmp}) {
            Files.setAttribute(owned, "unix:uid", user[0]);
            Files.setAttribute(owned, "unix:gid", user[1]);
        }
        return root;
    }

    /** Removes a staged filesystem; null is nothing to remove. */
    static void delete(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
