package dev.quartet.cli;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.node.MigPartedConfig;
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
        return "[--mig-namespace NS] [--mig-configmap NAME]";
    }

    @Override
    public String summary() {
        return "draw the live cluster's GPUs: slots, instances and the replica on each (uses KUBECONFIG)";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        String namespace = System.getenv().getOrDefault("QUARTET_MIG_MANAGER_NAMESPACE", "gpu-operator");
        String name = System.getenv().getOrDefault("QUARTET_MIG_MANAGER_CONFIG_MAP_NAME", "default-mig-parted-config");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--mig-namespace") || a.equals("--mig-configmap")) && i + 1 < args.size()) {
                if (a.equals("--mig-namespace")) {
                    namespace = args.get(++i);
                } else {
                    name = args.get(++i);
                }
            } else {
                err.println("kubectl quartet layout: unknown argument '" + a + "' (usage: layout " + usage() + ")");
                return BAD_INPUT;
            }
        }
        try (KubernetesClient client = clients.get()) {
            ConfigMap cm = client.configMaps().inNamespace(namespace).withName(name).get();
            MigPartedConfig config = null;
            String error = null;
            if (cm != null && cm.getData() != null && cm.getData().containsKey("config.yaml")) {
                try {
                    config = MigPartedConfig.parse(cm.getData().get("config.yaml"));
                } catch (IllegalArgumentException e) {
                    error = e.getMessage();
                }
            }
            ClusterSnapshot snapshot = new ClusterSnapshot(client.nodes().list().getItems(),
                    client.pods().inAnyNamespace().list().getItems(), config, error);
            Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                    .build(snapshot, new InventoryBuilder.Owners(Map.of()), Instant.now());
            if (inventory.nodes().isEmpty()) {
                out.println("no MIG nodes (nodes with nvidia.com/mig.capable=true and nvidia.com/mig.strategy=mixed)");
                return 0;
            }
            if (cm == null) {
                err.println("note: ConfigMap " + namespace + "/" + name + " not found; per-GPU layouts come from the "
                        + "device plugin's totals (use --mig-namespace/--mig-configmap)");
            }
            out.print(LayoutPicture.render(inventory));
            return 0;
        } catch (KubernetesClientException e) {
            err.println("kubectl quartet layout: cannot read the cluster: " + e.getMessage());
            return 1;
        }
    }
}
