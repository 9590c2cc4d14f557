package dev.quartet.cli;

import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.NodeBackend;
import dev.quartet.preview.PlanningSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code kubectl quartet layout}: the live cluster's MIG GPUs as a picture, derived exactly as the operator
 * derives them (node labels and allocatable, MIG Manager's ConfigMap, the slices pods report; for nodes of NVIDIA's
 * DRA driver, its ResourceSlices and the placements allocated ResourceClaims hold). If the cluster does not serve
 * {@code resource.k8s.io/v1} or the user may not list its slices or claims, one note says the DRA nodes are not shown
 * and why, and the rest is drawn.
 *
 * <p>MIG Manager's ConfigMap and the key of the mig-parted file in it are those the operator is configured
 * with: {@code --mig-namespace}, {@code --mig-configmap} and {@code --mig-key}, else the operator's
 * environment variables {@code QUARTET_MIG_MANAGER_NAMESPACE}, {@code QUARTET_MIG_MANAGER_CONFIG_MAP_NAME} and
 * {@code QUARTET_MIG_MANAGER_CONFIG_KEY}, else their defaults {@code gpu-operator},
 * {@code default-mig-parted-config} and {@code config.yaml}. Which nodes are used is {@code --backend}, else
 * {@code QUARTET_BACKEND}, else {@code auto} (the operator's {@code quartet.backend}).
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
        return "[--mig-namespace NS] [--mig-configmap NAME] [--mig-key KEY] [--backend auto|migManager|dra]";
    }

    @Override
    public String summary() {
        return "draw the live cluster's GPUs: slots, instances, the replica on each and its MIG device, MIG "
                + "Manager's state and the last repartition per node, or the DRA driver's claims (uses KUBECONFIG; "
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
        ClusterOptions options;
        try {
            List<String> rest = new ArrayList<>();
            String backend = System.getenv().getOrDefault("QUARTET_BACKEND", "auto");
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i).equals("--backend") && i + 1 < args.size()) {
                    backend = args.get(++i);
                } else {
                    rest.add(args.get(i));
                }
            }
            PlanningSettings defaults = PlanningSettings.DEFAULTS;
            options = new ClusterOptions(
                    migSource(rest, System.getenv()),
                    List.of(),
                    new PlanningSettings(
                            defaults.repartitionEnabled(),
                            defaults.nodeLostAfter(),
                            defaults.idleGpuCoverMinSlices(),
                            defaults.allowMigModeChange(),
                            NodeBackend.Choice.parse(backend)));
        } catch (IllegalArgumentException e) {
            err.println("kubectl quartet layout: " + e.getMessage() + " (usage: layout " + usage() + ")");
            return BAD_INPUT;
        }
        try (KubernetesClient client = clients.get()) {
            LiveCluster live = LiveCluster.read(client, options, false);
            Inventory inventory = options.settings()
                    .inventoryBuilder()
                    .build(live.snapshot(), new InventoryBuilder.Owners(Map.of()), Instant.now());
            live.noteDraUnread(err, "shown");
            if (inventory.nodes().isEmpty()) {
                out.println("no MIG nodes (nodes with nvidia.com/mig.capable=true and nvidia.com/mig.strategy=mixed,"
                        + " or whose ResourceSlices of NVIDIA's DRA driver offer MIG devices)");
                return 0;
            }
            live.noteMissingMigConfig(options, err);
            out.print(LayoutPicture.render(inventory, live.snapshot().pods()));
            return 0;
        } catch (KubernetesClientException e) {
            err.println("kubectl quartet layout: cannot read the cluster: " + e.getMessage());
            return 1;
        }
    }
}
