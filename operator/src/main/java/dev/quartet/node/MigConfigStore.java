package dev.quartet.node;

import dev.quartet.config.QuartetConfig;
import dev.quartet.node.MigPartedConfig.DeviceGroup;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.logging.Log;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes Quartet's named configs in the mig-parted ConfigMap MIG Manager mounts. Entries Quartet did
 * not write are kept byte for byte; writes use the ConfigMap's resourceVersion, so a concurrent edit is never lost.
 */
final class MigConfigStore {

    private static final String EMPTY = "version: v1\nmig-configs: {}\n";

    private final KubernetesClient client;
    private final QuartetConfig.MigManager config;

    MigConfigStore(KubernetesClient client, QuartetConfig.MigManager config) {
        this.client = client;
        this.config = config;
    }

    /** What {@link #ensure} found. */
    enum Write {
        /** The ConfigMap held the config before (Quartet may still have removed entries no node uses). */
        PRESENT,
        /** The config was not in the ConfigMap; now it is. */
        ADDED,
        /** A concurrent change made the write fail; the caller tries again on its next pass. */
        CONFLICT
    }

    /** Makes the ConfigMap hold config {@code name} and, of Quartet's other entries, those named in {@code inUse}. */
    Write ensure(String name, List<DeviceGroup> groups, Set<String> inUse) {
        ConfigMap current = client.configMaps().inNamespace(config.namespace()).withName(config.configMapName()).get();
        String original = current == null || current.getData() == null ? null : current.getData().get(config.configKey());
        String rewritten = MigPartedConfigWriter.rewrite(original == null ? EMPTY : original,
                Map.of(name, groups), inUse);
        Write found = original != null && holds(original, name) ? Write.PRESENT : Write.ADDED;
        if (rewritten.equals(original)) {
            return found;
        }
        try {
            if (current == null) {
                client.configMaps().inNamespace(config.namespace()).resource(new ConfigMapBuilder()
                        .withNewMetadata().withName(config.configMapName()).withNamespace(config.namespace()).endMetadata()
                        .addToData(config.configKey(), rewritten).build()).create();
                Log.warnf("created MIG Manager ConfigMap %s/%s: point MIG Manager at it (GPU Operator value "
                        + "migManager.config.name)", config.namespace(), config.configMapName());
            } else {
                ConfigMap updated = new ConfigMapBuilder(current).addToData(config.configKey(), rewritten).build();
                client.configMaps().inNamespace(config.namespace()).resource(updated).update();
            }
            return found;
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() == 409) {
                Log.debugf("MIG Manager ConfigMap changed concurrently; retrying on the next pass");
                return Write.CONFLICT;
            }
            throw e;
        }
    }

    /** Whether the mig-parted text has config {@code name} (content-named: same name, same content). */
    private static boolean holds(String text, String name) {
        try {
            return MigPartedConfig.parse(text).configs().containsKey(name);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
