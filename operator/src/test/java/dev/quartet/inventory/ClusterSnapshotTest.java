package dev.quartet.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mig-parted file a snapshot reads: only the configured key of MIG Manager's ConfigMap. */
class ClusterSnapshotTest {

    private static final String NVIDIA_STYLE = """
            version: v1
            mig-configs:
              all-disabled:
                - devices: all
                  mig-enabled: false
            """;
    private static final String OURS = """
            version: v1
            mig-configs:
              pool-a:
                - devices: all
                  mig-enabled: true
                  mig-devices: {"4g.24gb": 1}
            """;

    private static ConfigMap configMap(String... keysAndTexts) {
        ConfigMapBuilder b = new ConfigMapBuilder()
                .withNewMetadata()
                .withNamespace("gpu-operator")
                .withName("default-mig-parted-config")
                .endMetadata();
        for (int i = 0; i < keysAndTexts.length; i += 2) {
            b.addToData(keysAndTexts[i], keysAndTexts[i + 1]);
        }
        return b.build();
    }

    @Test
    void readsTheConfiguredKeyEvenWhenConfigYamlIsThere() {
        ConfigMap cm = configMap("config.yaml", NVIDIA_STYLE, "quartet.yaml", OURS);

        ClusterSnapshot snapshot = ClusterSnapshot.of(List.of(), List.of(), cm, "quartet.yaml");

        assertThat(snapshot.migConfig().configs()).containsOnlyKeys("pool-a");
    }

    @Test
    void aMissingConfiguredKeyMeansNoConfigRatherThanAnotherKey() {
        ConfigMap cm = configMap("a-first.yaml", OURS, "config.yaml", NVIDIA_STYLE);

        assertThat(ClusterSnapshot.of(List.of(), List.of(), cm, "quartet.yaml").migConfig())
                .isNull();
        assertThat(ClusterSnapshot.of(List.of(), List.of(), cm, "config.yaml")
                        .migConfig()
                        .configs())
                .containsOnlyKeys("all-disabled");
    }

    @Test
    void anUnreadableFileUnderTheKeyIsReportedNotSkipped() {
        ConfigMap cm = configMap("config.yaml", NVIDIA_STYLE, "quartet.yaml", "version: v2\n");

        ClusterSnapshot snapshot = ClusterSnapshot.of(List.of(), List.of(), cm, "quartet.yaml");

        assertThat(snapshot.migConfig()).isNull();
        assertThat(snapshot.migConfigError()).contains("v1").contains("version must be v1");
    }

    @Test
    void noConfigMapMeansNoConfigAndNoError() {
        ClusterSnapshot snapshot = ClusterSnapshot.of(List.of(), List.of(), null, "config.yaml");

        assertThat(snapshot.migConfig()).isNull();
        assertThat(snapshot.migConfigError()).isNull();
    }
}
