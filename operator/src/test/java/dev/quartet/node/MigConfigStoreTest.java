package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.TestNodes;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Quartet's entries in MIG Manager's ConfigMap, around NVIDIA's whole default file. */
class MigConfigStoreTest {

    private static final String NVIDIA = TestNodes.nvidiaDefault();
    private static final List<MigConfigSpec> WHOLE =
            List.of(new MigConfigSpec(List.of(), null, true, Map.of("4g.24gb", 1)));
    private static final List<MigConfigSpec> HALVES =
            List.of(new MigConfigSpec(List.of(), List.of(0, 1), true, Map.of("2g.12gb", 2)));

    private final FakeKubernetes cluster = new FakeKubernetes();
    private final MigConfigStore store = new MigConfigStore(cluster.client, new Settings());

    private record Settings() implements QuartetConfig.MigManager {
        @Override
        public String configMapName() {
            return "default-mig-parted-config";
        }

        @Override
        public String namespace() {
            return "gpu-operator";
        }

        @Override
        public String configKey() {
            return "config.yaml";
        }

        @Override
        public Duration repartitionTimeout() {
            return Duration.ofMinutes(10);
        }

        @Override
        public Duration configPropagationDelay() {
            return Duration.ZERO;
        }

        @Override
        public int maxConcurrentRepartitions() {
            return 1;
        }

        @Override
        public Duration retryBackoff() {
            return Duration.ofMinutes(15);
        }

        @Override
        public boolean repartitionEnabled() {
            return true;
        }

        @Override
        public boolean allowMigModeChange() {
            return false;
        }

        @Override
        public Duration layoutVerifyTimeout() {
            return Duration.ofMinutes(2);
        }
    }

    private void configMap(String text) {
        cluster.put(new ConfigMapBuilder()
                .withNewMetadata()
                .withNamespace("gpu-operator")
                .withName("default-mig-parted-config")
                .endMetadata()
                .addToData("config.yaml", text)
                .build());
    }

    private String text() {
        return cluster.configMaps
                .get("gpu-operator/default-mig-parted-config")
                .getData()
                .get("config.yaml");
    }

    @Test
    void addingAndRemovingQuartetsEntriesLeavesNvidiasFileByteForByte() {
        configMap(NVIDIA);
        String whole = MigPartedConfigWriter.configName(WHOLE);
        String halves = MigPartedConfigWriter.configName(HALVES);

        assertThat(store.ensure(whole, WHOLE, Set.of())).isEqualTo(MigConfigStore.Write.ADDED);
        assertThat(text()).startsWith(NVIDIA);
        assertThat(store.ensure(halves, HALVES, Set.of(whole))).isEqualTo(MigConfigStore.Write.ADDED);
        assertThat(text()).startsWith(NVIDIA);
        assertThat(MigPartedConfig.parse(text()).configs()).hasSize(83).containsKeys(whole, halves);

        // the first is no longer in use: it goes, and the file is NVIDIA's plus the second, as if written alone
        assertThat(store.ensure(halves, HALVES, Set.of())).isEqualTo(MigConfigStore.Write.PRESENT);
        assertThat(text()).isEqualTo(MigPartedConfigWriter.rewrite(NVIDIA, Map.of(halves, HALVES), Set.of()));
        assertThat(text()).startsWith(NVIDIA);
        assertThat(MigPartedConfig.parse(text()).configs())
                .hasSize(82)
                .containsKey(halves)
                .doesNotContainKey(whole);
    }

    @Test
    void entriesNodesStillUseAreWrittenBackIntoARestoredDefault() {
        configMap(NVIDIA);
        String whole = MigPartedConfigWriter.configName(WHOLE);
        store.ensure(whole, WHOLE, Set.of());
        // the GPU Operator puts its default back
        configMap(NVIDIA);

        assertThat(store.restore(Set.of(whole))).containsExactly(whole);
        assertThat(text()).isEqualTo(MigPartedConfigWriter.rewrite(NVIDIA, Map.of(whole, WHOLE), Set.of()));
        assertThat(store.restore(Set.of(whole))).isEmpty();
    }
}
