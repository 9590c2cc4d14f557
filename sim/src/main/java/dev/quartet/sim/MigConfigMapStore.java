package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.PciDeviceId;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * MIG Manager's view of its ConfigMap: creates it with NVIDIA's default content when absent (never overwrites one),
 * reads the mig-parted config from it, and adds {@code sim-*} entries for initial layouts no default config yields.
 * The real MIG Manager reads the ConfigMap as a file the kubelet mounts and refreshes on its periodic sync, so a
 * change reaches it up to a minute or more late; with a {@linkplain #setFileLag file lag} the simulator reads the
 * content the ConfigMap had that long ago (each version timed from when its watch event arrived).
 */
final class MigConfigMapStore {

    private static final Logger LOG = Logger.getLogger(MigConfigMapStore.class.getName());

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final List<Version> versions = new ArrayList<>();
    private volatile Duration fileLag = Duration.ZERO;
    private Watch watch;

    private record Version(Instant seen, String text) {}

    MigConfigMapStore(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    /** Creates the namespace and the ConfigMap (NVIDIA's default content) if they do not exist. */
    void ensureExists() {
        if (client.namespaces().withName(namespace).get() == null) {
            createIgnoringConflict(() -> client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(namespace)
                            .endMetadata()
                            .build())
                    .create());
        }
        if (client.configMaps().inNamespace(namespace).withName(name).get() == null) {
            ConfigMap cm = new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(namespace)
                    .endMetadata()
                    .addToData(MigPartedConfig.CONFIG_MAP_KEY, defaultConfigYaml())
                    .build();
            createIgnoringConflict(() ->
                    client.configMaps().inNamespace(namespace).resource(cm).create());
            LOG.info(() -> "created ConfigMap " + namespace + "/" + name + " with NVIDIA's default mig-parted config");
        }
    }

    private static void createIgnoringConflict(Runnable create) {
        try {
            create.run();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /**
     * From now on {@link #read} returns what the ConfigMap held {@code lag} ago, as MIG Manager's mounted copy would
     * (zero: the content now).
     */
    synchronized void setFileLag(Duration lag) {
        fileLag = lag;
        if (!lag.isZero() && watch == null) {
            watch = client.configMaps().inNamespace(namespace).withName(name).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, ConfigMap cm) {
                    String text = action == Action.DELETED || cm.getData() == null
                            ? null
                            : cm.getData().get(MigPartedConfig.CONFIG_MAP_KEY);
                    synchronized (MigConfigMapStore.this) {
                        versions.add(new Version(Instant.now(), text));
                    }
                }

                @Override
                public void onClose(WatcherException cause) {}
            });
        }
    }

    synchronized void close() {
        if (watch != null) {
            watch.close();
            watch = null;
        }
    }

    /** What MIG Manager's copy of the file holds now: the newest version seen at least the file lag ago. */
    private synchronized Optional<String> lagged() {
        if (fileLag.isZero() || versions.isEmpty()) {
            return Optional.empty();
        }
        Instant cutoff = Instant.now().minus(fileLag);
        int shown = 0;
        for (int i = 0; i < versions.size(); i++) {
            if (!versions.get(i).seen().isAfter(cutoff)) {
                shown = i;
            }
        }
        // Versions before the one shown now can never be shown again.
        versions.subList(0, shown).clear();
        String text = versions.get(0).text();
        return Optional.of(text == null ? "" : text);
    }

    /** The mig-parted config MIG Manager reads (throws {@link MigPartedConfig.InvalidConfigException} when unusable). */
    MigPartedConfig read() {
        Optional<String> lagged = lagged();
        if (lagged.isPresent()) {
            if (lagged.get().isEmpty()) {
                throw new MigPartedConfig.InvalidConfigException("mounted copy of ConfigMap " + namespace + "/" + name
                        + " has no key " + MigPartedConfig.CONFIG_MAP_KEY + " yet");
            }
            return MigPartedConfig.parse(lagged.get());
        }
        ConfigMap cm = client.configMaps().inNamespace(namespace).withName(name).get();
        if (cm == null) {
            throw new MigPartedConfig.InvalidConfigException("ConfigMap " + namespace + "/" + name + " not found");
        }
        String text = cm.getData() == null ? null : cm.getData().get(MigPartedConfig.CONFIG_MAP_KEY);
        if (text == null) {
            throw new MigPartedConfig.InvalidConfigException(
                    "ConfigMap " + namespace + "/" + name + " has no key " + MigPartedConfig.CONFIG_MAP_KEY);
        }
        return MigPartedConfig.parse(text);
    }

    /**
     * The name of a config that gives every GPU of such a node {@code layout}: an existing one when the file has it,
     * else a {@code sim-<layout>} entry added to the file (text inserted, the rest kept byte for byte).
     */
    String configFor(MigLayout layout, GpuModel model, int gpus) {
        for (int attempt = 1; ; attempt++) {
            ConfigMap cm =
                    client.configMaps().inNamespace(namespace).withName(name).require();
            String text = cm.getData().get(MigPartedConfig.CONFIG_MAP_KEY);
            MigPartedConfig config = MigPartedConfig.parse(text);
            Optional<String> existing = configYielding(config, layout, model, gpus);
            if (existing.isPresent()) {
                return existing.get();
            }
            String entry = layout.configName();
            String updated = withEntry(text, entry, layout);
            MigPartedConfig.parse(updated);
            cm.getData().put(MigPartedConfig.CONFIG_MAP_KEY, updated);
            try {
                client.configMaps().inNamespace(namespace).resource(cm).update();
                LOG.info(() -> "added config " + entry + " (" + layout + ") to ConfigMap " + namespace + "/" + name);
                return entry;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * NVIDIA's current default mig-parted file, as the GPU Operator's {@code default-mig-parted-config} holds it: the
     * simulator's resource without its header (which names the source and licence).
     */
    static String defaultConfigYaml() {
        String text;
        try (InputStream in = MigConfigMapStore.class.getResourceAsStream("default-mig-parted-config.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int start = 0;
        while (text.startsWith("#", start)) {
            start = text.indexOf('\n', start) + 1;
        }
        return text.substring(start);
    }

    /**
     * The first config (file order) that gives every GPU of a node of {@code gpuCount} {@code model}s exactly
     * {@code layout}, by mig-parted's matching rules, if any.
     */
    static Optional<String> configYielding(MigPartedConfig config, MigLayout layout, GpuModel model, int gpuCount) {
        PciDeviceId pciId = PciDeviceId.parse(model.pciDeviceId()).orElseThrow();
        for (String name : config.configs().keySet()) {
            Map<Integer, MigConfigSpec> desired = config.entriesPerGpu(name, pciId, gpuCount);
            boolean all = desired.size() == gpuCount
                    && desired.values().stream()
                            .allMatch(s -> s.migEnabled() == layout.migEnabled()
                                    && MigLayout.nonZero(s.migDevices()).equals(layout.counts()));
            if (all) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    /** Inserts {@code entry} right after the {@code mig-configs:} line, with the file's own indentation. */
    static String withEntry(String text, String entry, MigLayout layout) {
        String[] lines = text.split("\n", -1);
        StringBuilder out = new StringBuilder();
        boolean inserted = false;
        for (int i = 0; i < lines.length; i++) {
            out.append(lines[i]);
            if (i < lines.length - 1) {
                out.append('\n');
            }
            if (!inserted && lines[i].matches("^mig-configs:\\s*$")) {
                String indent = "  ";
                for (int j = i + 1; j < lines.length; j++) {
                    String l = lines[j];
                    if (!l.isBlank() && !l.trim().startsWith("#")) {
                        indent = l.substring(0, l.length() - l.stripLeading().length());
                        break;
                    }
                }
                out.append(indent).append(entry).append(":\n").append(layout.toConfigEntryYaml(indent + "  "));
                inserted = true;
            }
        }
        if (!inserted) {
            throw new MigPartedConfig.InvalidConfigException(
                    "no top-level 'mig-configs:' line to add " + entry + " under");
        }
        return out.toString();
    }
}
