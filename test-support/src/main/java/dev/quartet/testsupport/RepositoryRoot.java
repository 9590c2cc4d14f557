package dev.quartet.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the Quartet checkout: the nearest directory at or above the working directory holding hack/local-cluster.sh. */
public final class RepositoryRoot {

    public static final String PROPERTY = "quartet.repoRoot";

    private RepositoryRoot() {}

    /** The repository root (system property {@code quartet.repoRoot} wins when set). */
    public static Path find() {
        String explicit = System.getProperty(PROPERTY);
        if (explicit != null) {
            return Path.of(explicit).toAbsolutePath();
        }
        return findFrom(Path.of(System.getProperty("user.dir")));
    }

    static Path findFrom(Path start) {
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("hack/local-cluster.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no hack/local-cluster.sh at or above " + start.toAbsolutePath()
                + "; run from inside the Quartet checkout or set -D" + PROPERTY);
    }
}
