package dev.quartet.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica given a MIG device whose engine runs on the CPU refuses to serve unless CPU fallback is allowed, and says
 * why where Kubernetes shows it.
 */
class ServingDeviceTest {

    @Test
    void aMigDeviceServedOnTheCpuIsRefusedUnlessAllowed() {
        ServingDevice cpuOnSlice = new ServingDevice("cpu", "MIG-2f6e1e0c-7d2a-5a1b-9d1e-3c4b5a6f7e8d");
        assertThat(cpuOnSlice.deviceAssigned()).isTrue();
        assertThat(cpuOnSlice.refusal(false))
                .hasValueSatisfying(why -> assertThat(why)
                        .contains("MIG device MIG-2f6e1e0c-7d2a-5a1b-9d1e-3c4b5a6f7e8d")
                        .contains("engine runs on the CPU")
                        .contains("spec.worker.allowCpuFallback: true"));
        assertThat(cpuOnSlice.refusal(true)).isEmpty();
        assertThat(new ServingDevice("cpu", "GPU-8a1b").refusal(false))
                .hasValueSatisfying(why -> assertThat(why).contains("GPU GPU-8a1b"));
    }

    @Test
    void aGpuOrNoDeviceAtAllServes() {
        assertThat(new ServingDevice("gpu:0", "MIG-2f6e").refusal(false)).isEmpty();
        for (String none : new String[] {"none", "void", "all", "NONE"}) {
            ServingDevice cpu = new ServingDevice("cpu", none);
            assertThat(cpu.deviceAssigned()).as(none).isFalse();
            assertThat(cpu.refusal(false)).as(none).isEmpty();
        }
    }

    @Test
    void theTerminationMessageIsWrittenOnlyWhereKubernetesMountsIt(@TempDir Path dir) throws Exception {
        Path absent = dir.resolve("termination-log");
        assertThat(TerminationMessage.write(absent, "why")).isFalse();
        assertThat(absent).doesNotExist();

        Files.writeString(absent, "an older message that is longer");
        assertThat(TerminationMessage.write(absent, "why")).isTrue();
        assertThat(absent).hasContent("why");

        // The kubelet keeps 4096 bytes: longer text is cut there, never inside a character.
        String long_ = "é".repeat(3000);
        assertThat(TerminationMessage.write(absent, long_)).isTrue();
        byte[] written = Files.readAllBytes(absent);
        assertThat(written.length).isEqualTo(4096);
        assertThat(new String(written, StandardCharsets.UTF_8)).isEqualTo("é".repeat(2048));
    }
}
