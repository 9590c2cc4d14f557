package dev.quartet.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.logging.Log;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads and writes Quartet's named configs in the mig-parted ConfigMap MIG Manager mounts. Entries Quartet did
 * not write are kept byte for byte; writes use the ConfigMap's resourceVersion, so a concurrent edit is never lost.
 * It remembers the content of every Quartet config it has written or seen since the operator started, so that one a
 * node still uses can be written back when something else rewrites the ConfigMap (the GPU Operator restores its own
 * {@code default-mig-parted-config} when it reconciles).
 */
final class MigConfigStore {

    private static final String EMPTY = "version: v1\nmig-configs: {}\n";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, List<MigConfigSpec>>> CONTENT = new TypeReference<>() {};

    private final KubernetesClient client;
    private final QuartetConfig.MigManager config;
    /** Quartet's configs by name (content-named: a name always means the same content). */
    private final Map<String, List<MigConfigSpec>> known = new ConcurrentHashMap<>();

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
    Write ensure(String name, List<MigConfigSpec> groups, Set<String> inUse) {
        known.put(name, List.copyOf(groups));
        return write(read(), Map.of(name, groups), inUse, name);
    }

    /** Remembers the content of Quartet's configs in a ConfigMap as read. */
    void remember(MigPartedConfig read) {
        if (read != null) {
            read.configs().forEach((name, groups) -> {
                if (name.startsWith(MigPartedConfigWriter.PREFIX)) {
                    known.putIfAbsent(name, groups);
                }
            });
        }
    }

    /** Remembers the content of Quartet's configs recorded on nodes ({@link QuartetLabels#NODE_CONFIG_CONTENT}). */
    void remember(List<Node> nodes) {
        for (Node node : nodes) {
            Map<String, String> annotations = node.getMetadata().getAnnotations();
            String recorded = annotations == null ? null : annotations.get(QuartetLabels.NODE_CONFIG_CONTENT);
            contentOf(recorded).forEach((name, groups) -> {
                if (name.startsWith(MigPartedConfigWriter.PREFIX)
                        && name.equals(MigPartedConfigWriter.configName(groups))) {
                    known.putIfAbsent(name, groups);
                }
            });
        }
    }

    /** The annotation value recording the content of {@code names} this store knows. */
    String contentAnnotation(List<String> names) {
        Map<String, List<MigConfigSpec>> content = new TreeMap<>();
        names.stream()
                .filter(name -> name != null && known.containsKey(name))
                .forEach(name -> content.put(name, known.get(name)));
        try {
            return JSON.writeValueAsString(content);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<MigConfigSpec>> contentOf(String recorded) {
        if (recorded == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(recorded, CONTENT);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            Log.debugf("ignoring an unreadable %s annotation: %s", QuartetLabels.NODE_CONFIG_CONTENT, e.getMessage());
            return Map.of();
        }
    }

    /** Whether this store knows the content of config {@code name} (so it can write it back). */
    boolean knows(String name) {
        return known.containsKey(name);
    }

    /** The device groups of config {@code name}, if this store knows them. */
    java.util.Optional<List<MigConfigSpec>> content(String name) {
        return java.util.Optional.ofNullable(known.get(name));
    }

    /**
     * Writes back the configs of {@code inUse} that the ConfigMap lacks and whose content is known; returns their
     * names (empty when nothing was missing, or on a concurrent change, retried on the next pass).
     */
    Set<String> restore(Set<String> inUse) {
        ConfigMap current = read();
        String original = text(current);
        // The names as written, also in a file mig-parted would refuse (an emptied "mig-configs: {}"), so that what
        // nodes use is written back into it.
        Set<String> present = new HashSet<>();
        try {
            if (original != null) {
                MigPartedConfigWriter.tree(original)
                        .path("mig-configs")
                        .fieldNames()
                        .forEachRemaining(present::add);
            }
        } catch (RuntimeException e) {
            return Set.of();
        }
        Map<String, List<MigConfigSpec>> missing = new TreeMap<>();
        for (String name : inUse) {
            if (!present.contains(name) && known.containsKey(name)) {
                missing.put(name, known.get(name));
            }
        }
        if (missing.isEmpty() || write(current, missing, inUse, null) == Write.CONFLICT) {
            return Set.of();
        }
        Log.warnf(
                "MIG Manager ConfigMap %s/%s lacked Quartet's configs %s that nodes still use; wrote them back "
                        + "(something rewrote the ConfigMap: the GPU Operator restores its own default-mig-parted-config, "
                        + "so point both at a ConfigMap you own)",
                config.namespace(), config.configMapName(), missing.keySet());
        return missing.keySet();
    }

    private ConfigMap read() {
        return client.configMaps()
                .inNamespace(config.namespace())
                .withName(config.configMapName())
                .get();
    }

    private String text(ConfigMap current) {
        return current == null || current.getData() == null
                ? null
                : current.getData().get(config.configKey());
    }

    /** Writes {@code entries} into {@code current} as read; {@code name}: the entry whose presence is reported. */
    private Write write(ConfigMap current, Map<String, List<MigConfigSpec>> entries, Set<String> inUse, String name) {
        String original = text(current);
        String rewritten = MigPartedConfigWriter.rewrite(original == null ? EMPTY : original, entries, inUse);
        Write found = original != null && (name == null || holds(original, name)) ? Write.PRESENT : Write.ADDED;
        if (rewritten.equals(original)) {
            return found;
        }
        try {
            if (current == null) {
                client.configMaps()
                        .inNamespace(config.namespace())
                        .resource(new ConfigMapBuilder()
                                .withNewMetadata()
                                .withName(config.configMapName())
                                .withNamespace(config.namespace())
                                .endMetadata()
                                .addToData(config.configKey(), rewritten)
                                .build())
                        .create();
                Log.warnf(
                        "created MIG Manager ConfigMap %s/%s: point MIG Manager at it (GPU Operator value "
                                + "migManager.config.name)",
                        config.namespace(), config.configMapName());
            } else {
                ConfigMap updated = new ConfigMapBuilder(current)
                        .addToData(config.configKey(), rewritten)
                        .build();
                client.configMaps()
                        .inNamespace(config.namespace())
                        .resource(updated)
                        .update();
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
