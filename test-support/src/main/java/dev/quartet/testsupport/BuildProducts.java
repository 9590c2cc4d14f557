package dev.quartet.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Files a test needs from an earlier build step (a packaged jar, a binary). When one is missing, the test is
 * skipped on a developer's machine, but fails under CI ({@code CI=true}), where a skip would hide that the build
 * did not produce what the test was there to check.
 */
public final class BuildProducts {

    /** The variable CI services set to {@code true}. */
    public static final String CI_ENV = "CI";

    private BuildProducts() {}

    /**
     * Returns {@code file} if it exists; else aborts the calling test, or fails it under {@code CI=true}, with a
     * message naming the file and {@code howToBuild} it.
     */
    public static Path require(Path file, String howToBuild) {
        return require(file, howToBuild, System.getenv());
    }

    static Path require(Path file, String howToBuild, Map<String, String> env) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        String missing = file + " is missing; build it with: " + howToBuild;
        if ("true".equalsIgnoreCase(env.getOrDefault(CI_ENV, "").trim())) {
            return Assertions.fail(missing + " (" + CI_ENV + "=true: a missing build product fails the test)");
        }
        return Assumptions.abort(missing + " (the test is skipped; under " + CI_ENV + "=true it fails)");
    }
}
