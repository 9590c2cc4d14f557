package dev.quartet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.cli.LayoutCommand.MigSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayoutCommandTest {

    private static final Map<String, String> ENV = Map.of(
            "QUARTET_MIG_MANAGER_NAMESPACE", "gpu-system",
            "QUARTET_MIG_MANAGER_CONFIG_MAP_NAME", "mig-config",
            "QUARTET_MIG_MANAGER_CONFIG_KEY", "mig.yaml");

    @Test
    void withoutFlagsOrEnvironmentItReadsTheOperatorDefaults() {
        assertThat(LayoutCommand.migSource(List.of(), Map.of()))
                .isEqualTo(new MigSource("gpu-operator", "default-mig-parted-config", "config.yaml"));
    }

    @Test
    void theOperatorEnvironmentVariablesOverrideTheDefaults() {
        assertThat(LayoutCommand.migSource(List.of(), ENV))
                .isEqualTo(new MigSource("gpu-system", "mig-config", "mig.yaml"));
    }

    @Test
    void flagsOverrideTheEnvironment() {
        assertThat(LayoutCommand.migSource(List.of("--mig-key", "other.yaml"), ENV))
                .isEqualTo(new MigSource("gpu-system", "mig-config", "other.yaml"));
        assertThat(LayoutCommand.migSource(
                        List.of("--mig-namespace", "ns", "--mig-configmap", "cm", "--mig-key", "k.yaml"), ENV))
                .isEqualTo(new MigSource("ns", "cm", "k.yaml"));
    }

    @Test
    void aFlagWithoutAValueOrAnUnknownArgumentIsNamed() {
        assertThatThrownBy(() -> LayoutCommand.migSource(List.of("--mig-key"), Map.of()))
                .hasMessage("unknown argument '--mig-key'");
        assertThatThrownBy(() -> LayoutCommand.migSource(List.of("--mig-keys", "x"), Map.of()))
                .hasMessage("unknown argument '--mig-keys'");
    }

    @Test
    void badArgumentsExitTwoBeforeTheClusterIsAsked() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new LayoutCommand(() -> {
                    throw new AssertionError("no cluster is needed to reject arguments");
                })
                .run(
                        List.of("--mig-key"),
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("kubectl quartet layout: unknown argument '--mig-key' "
                        + "(usage: layout [--mig-namespace NS] [--mig-configmap NAME] [--mig-key KEY]"
                        + " [--backend auto|migManager|dra])\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
