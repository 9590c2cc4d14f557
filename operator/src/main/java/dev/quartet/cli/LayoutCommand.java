package dev.quartet.cli;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code kubectl quartet layout}: the live cluster's MIG GPUs as a picture, derived exactly as the operator
 * derives them (node labels and allocatable, MIG Manager's ConfigMap, the slices pods report).
 *
 * <p>MIG Manager's ConfigMap and the key of the mig-parted file in it are those the operator is configured
 * with: {@code --mig-namespace}, {@code --mig-configmap} and {@code --mig-key}, else the operator's
 * environment variables {@code QUARTET_MIG_MANAGER_NAMESPACE}, {@code QUARTET_MIG_MANAGER_CONFIG_MAP_NAME} and
 * {@code QUARTET_MIG_MANAGER_CONFIG_KEY}, else their defaults {@code gpu-operator},
 * {@code default-mig-parted-config} and {@code config.yaml}.
 */
final class LayoutCommand implements Subcommand {

    private final Supplier<KubernetesClient> clients;

    LayoutCommand() {
        this(() -> new KubernetesClientBuilder().build());
    }

    LayoutCommand(Supplier<KubernetesClient> clients) {
        this.clients = clients;
    }

    @Override
    public String name() {
        return "layout";
    }

    @Override
    public String usage() {
        return "[--mig-namespace NS] [--mig-configmap NAME] [--mig-key KEY]";
    }

    @Override
    public String summary() {
        return "draw the live cluster's GPUs: slots, instances, the replica on each and its MIG device, MIG "
                + "Manager's state and the last repartition per node (uses KUBECONFIG; "
                + "the flags default to QUARTET_MIG_MANAGER_NAMESPACE, QUARTET_MIG_MANAGER_CONFIG_MAP_NAME and "
                + "QUARTET_MIG_MANAGER_CONFIG_KEY, else gpu-operator, default-mig-parted-config, config.yaml)";
    }

    /** Where MIG Manager's mig-parted file is read: the ConfigMap's namespace and name, and the key in it. */
    record MigSource(String namespace, String configMap, String key) {}

    /**
     * The flags in {@code args} over the {@code QUARTET_MIG_MANAGER_*} variables in {@code env} over the
     * operator's defaults; an unknown argument or a flag without a value throws IllegalArgumentException
     * naming it.
     */
    static MigSource migSource(List<String> args, Map<String, String> env) {
        String namespace = env.getOrDefault("QUARTET_MIG_MANAGER_NAMESPACE", "gpu-operator");
        String configMap = env.getOrDefault("QUARTET_MIG_MANAGER_CONFIG_MAP_NAME", "default-mig-parted-config");
        String key = env.getOrDefault("QUARTET_MIG_MANAGER_CONFIG_KEY", "config.yaml");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            boolean flag = a.equals("--mig-namespace") || a.equals("--mig-configmap") || a.equals("--mig-key");
            if (!flag || i + 1 >= args.size()) {
                throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
            String value = args.get(++i);
            if (a.equals("--mig-namespace")) {
                namespace = value;
            } else if (a.equals("--mig-configmap")) {
                configMap = value;
            } else {
                key = value;
            }
        }
        return new MigSource(namespace, configMap, key);
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        MigSource source;
        try {
            source = migSource(args, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("kubectl quartet layout: " + e.getMessage() + " (usage: layout " + usage() + ")");
            return BAD_INPUT;
        }
        String where = source.namespace() + "/" + source.configMap();
        try (KubernetesClient client = clients.get()) {
            ConfigMap cm = client.configMaps()
                    .inNamespace(source.namespace())
                    .withName(source.configMap())
                    .get();
            ClusterSnapshot snapshot = ClusterSnapshot.of(
                    client.nodes().list().getItems(),
                    client.pods().inAnyNamespace().list().getItems(),
                    cm,
                    source.key());
            Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                    .build(snapshot, new InventoryBuilder.Owners(Map.of()), Instant.now());
            if (inventory.nodes().isEmpty()) {
                out.println("no MIG nodes (nodes with nvidia.com/mig.capable=true and nvidia.com/mig.strategy=mixed)");
                return 0;
            }
            if (cm == null) {
                err.println("note: ConfigMap " + where + " not found; per-GPU layouts come from the "
                        + "device plugin's totals (use --mig-namespace/--mig-configmap)");
            } else if (snapshot.migConfig() == null && snapshot.migConfigError() == null) {
                err.println("note: ConfigMap " + where + " has no key '" + source.key() + "'; per-GPU layouts "
                        + "come from the device plugin's totals (use --mig-key)");
            }
            out.print(LayoutPicture.render(inventory, snapshot.pods()));
            return 0;
        } catch (KubernetesClientException e) {
            err.println("kubectl quartet layout: cannot read the cluster: " + e.getMessage());
            return 1;
        }
    }
}
