package dev.quartet.testsupport;

import io.fabric8.kubernetes.client.KubernetesClient;

/** Adds and removes test-owned entries in MIG Manager's default ConfigMap, leaving everything else as it is. */
final class MigConfigs {

    static final String NAMESPACE = "gpu-operator";
    static final String NAME = "default-mig-parted-config";

    private MigConfigs() {}

    /** Inserts {@code entryYaml} (lines indented for directly under {@code mig-configs:}) as config {@code name}. */
    static void add(KubernetesClient client, String name, String entryYaml) {
        client.configMaps().inNamespace(NAMESPACE).withName(NAME).edit(cm -> {
            String text = cm.getData().get("config.yaml");
            cm.getData()
                    .put(
                            "config.yaml",
                            text.replaceFirst(
                                    "(?m)^mig-configs:[ \\t]*\\n",
                                    "mig-configs:\n  " + name + ":\n"
                                            + entryYaml.stripTrailing().indent(4)));
            return cm;
        });
    }

    static void remove(KubernetesClient client, String name) {
        client.configMaps().inNamespace(NAMESPACE).withName(NAME).edit(cm -> {
            String text = cm.getData().get("config.yaml");
            cm.getData()
                    .put(
                            "config.yaml",
                            text.replaceFirst(
                                    "(?m)^  " + java.util.regex.Pattern.quote(name) + ":\\n(    .*?\\n)+", ""));
            return cm;
        });
    }
}
