package dev.quartet.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A missing build product skips a test on a developer's machine and fails it under CI=true. */
class BuildProductsTest {

    @TempDir
    Path tmp;

    @Test
    void aBuiltFileIsReturnedWhateverTheEnvironment() throws Exception {
        Path jar = Files.writeString(tmp.resolve("app.jar"), "jar");
        assertThat(BuildProducts.require(jar, "./mvnw package", Map.of("CI", "true")))
                .isEqualTo(jar);
        assertThat(BuildProducts.require(jar, "./mvnw package", Map.of())).isEqualTo(jar);
    }

    @Test
    void underCiAMissingFileFailsTheTestNamingTheFileAndHowToBuildIt() {
        Path jar = tmp.resolve("quarkus-run.jar");
        assertThatThrownBy(() -> BuildProducts.require(jar, "./mvnw -B -pl worker-image package", Map.of("CI", "true")))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining(jar.toString())
                .hasMessageContaining("./mvnw -B -pl worker-image package")
                .hasMessageContaining("CI=true");
    }

    @Test
    void elsewhereAMissingFileSkipsTheTest() {
        Path jar = tmp.resolve("quarkus-run.jar");
        for (Map<String, String> env : java.util.List.of(Map.<String, String>of(), Map.of("CI", "false"))) {
            assertThatThrownBy(() -> BuildProducts.require(jar, "./mvnw package", env))
                    .isInstanceOf(TestAbortedException.class)
                    .hasMessageContaining(jar.toString())
                    .hasMessageContaining("./mvnw package");
        }
    }

    @Test
    void aDirectoryIsNotTheFile() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("quarkus-run.jar"));
        assertThatThrownBy(() -> BuildProducts.require(dir, "./mvnw package", Map.of("CI", "true")))
                .isInstanceOf(AssertionFailedError.class);
    }
}
