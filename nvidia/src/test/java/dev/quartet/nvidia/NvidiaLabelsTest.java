package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class NvidiaLabelsTest {

    @Test
    void resourceNamesWritePlusAsDotAndReadBack() {
        assertThat(NvidiaLabels.resourceName("1g.6gb+me")).isEqualTo("nvidia.com/mig-1g.6gb.me");
        assertThat(NvidiaLabels.resourceName("1g.24gb+me.all")).isEqualTo("nvidia.com/mig-1g.24gb.me.all");
        assertThat(NvidiaLabels.resourceName("1g.24gb-me")).isEqualTo("nvidia.com/mig-1g.24gb-me");
        MigPartedConfig nvidia = MigPartedConfig.parse(NvidiaDefaultConfig.text());
        List<String> names = nvidia.configs().values().stream()
                .flatMap(List::stream)
                .flatMap(e -> e.migDevices().keySet().stream())
                .distinct()
                .toList();
        assertThat(names)
                .allSatisfy(n -> assertThat(NvidiaLabels.profileOfResource(NvidiaLabels.resourceName(n)))
                        .isEqualTo(n));
        assertThat(NvidiaLabels.profileOfResource("nvidia.com/gpu")).isNull();
        assertThat(NvidiaLabels.profileOfResource("cpu")).isNull();
    }

    @Test
    void gfdPerProfileLabels() {
        assertThat(NvidiaLabels.migProfileLabel("1g.6gb+me", "count")).isEqualTo("nvidia.com/mig-1g.6gb.me.count");
    }
}
