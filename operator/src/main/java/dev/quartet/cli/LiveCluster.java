package dev.quartet.cli;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.NodeBackend;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.nvidia.NvidiaDra;
import dev.quartet.preview.PlanningSettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The live cluster as the operator reads it, read once through the user's kubeconfig: nodes, every pod, MIG
 * Manager's mig-parted ConfigMap, the ResourceSlices and ResourceClaims of NVIDIA's DRA driver and the
 * InferenceDeployments of the namespaces the operator serves. Read only.
 *
 * @param draUnread why the DRA driver's slices and claims could not be read (the cluster does not serve
 *                  {@code resource.k8s.io/v1}, or the user may not list them), or null when they were read
 */
record LiveCluster(
        ClusterSnapshot snapshot, List<InferenceDeployment> deployments, ConfigMap migConfigMap, String draUnread) {

    static LiveCluster read(KubernetesClient client, ClusterOptions options, boolean withDeployments) {
        LayoutCommand.MigSource mig = options.mig();
        ConfigMap cm = client.configMaps()
                .inNamespace(mig.namespace())
                .withName(mig.configMap())
                .get();
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                client.nodes().list().getItems(),
                client.pods().inAnyNamespace().list().getItems(),
                cm,
                mig.key());
        Dra dra = Dra.read(client);
        snapshot = snapshot.withDra(dra.slices(), dra.claims());
        List<InferenceDeployment> deployments = new ArrayList<>();
        if (withDeployments) {
            var resources = client.resources(InferenceDeployment.class);
            if (options.namespaces().isEmpty()) {
                deployments.addAll(resources.inAnyNamespace().list().getItems());
            } else {
                for (String ns : options.namespaces()) {
                    deployments.addAll(resources.inNamespace(ns).list().getItems());
                }
            }
        }
        return new LiveCluster(snapshot, deployments, cm, dra.unread());
    }

    /**
     * The DRA driver's inputs as the operator's informers hold them: every ResourceSlice, and every ResourceClaim of
     * every namespace (the namespaces pods are read from). Claims are read only when a slice of NVIDIA's driver
     * exists: without one there is no DRA node for them to hold placements on.
     */
    record Dra(List<ResourceSlice> slices, List<ResourceClaim> claims, String unread) {

        static Dra read(KubernetesClient client) {
            String reading = "resourceslices";
            try {
                List<ResourceSlice> slices =
                        client.resources(ResourceSlice.class).list().getItems();
                if (slices.stream()
                        .noneMatch(s -> s.getSpec() != null
                                && NvidiaDra.DRIVER.equals(s.getSpec().getDriver()))) {
                    return new Dra(slices, List.of(), null);
                }
                reading = "resourceclaims";
                List<ResourceClaim> claims = client.resources(ResourceClaim.class)
                        .inAnyNamespace()
                        .list()
                        .getItems();
                return new Dra(slices, claims, null);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return new Dra(
                            List.of(),
                            List.of(),
                            "the cluster does not serve " + reading + " of resource.k8s.io/v1 (404 Not Found;"
                                    + " Kubernetes 1.34 or later serves them)");
                }
                if (e.getCode() == 403) {
                    return new Dra(
                            List.of(),
                            List.of(),
                            "you may not list " + reading + " of resource.k8s.io cluster-wide (403 Forbidden;"
                                    + " kubectl quartet needs list on resourceslices and resourceclaims)");
                }
                throw e;
            }
        }
    }

    /**
     * One line on standard error when the DRA driver's slices and claims could not be read: its nodes are then left
     * out, {@code what} ("shown", "planned").
     */
    void noteDraUnread(PrintStream err, String what) {
        if (draUnread != null) {
            err.println("note: nodes of NVIDIA's DRA driver are not " + what + ": " + draUnread);
        }
    }

    /**
     * A note on standard error when MIG Manager's file could not be read: layouts come from the device plugin. None
     * when no node is MIG Manager's (a cluster of DRA nodes only has no MIG Manager to read).
     */
    void noteMissingMigConfig(ClusterOptions options, PrintStream err) {
        if (!hasMigManagerNodes(snapshot, options.settings())) {
            return;
        }
        LayoutCommand.MigSource mig = options.mig();
        String where = mig.namespace() + "/" + mig.configMap();
        if (migConfigMap == null) {
            err.println("note: ConfigMap " + where + " not found; per-GPU layouts come from the "
                    + "device plugin's totals (use --mig-namespace/--mig-configmap)");
        } else if (snapshot.migConfig() == null && snapshot.migConfigError() == null) {
            err.println("note: ConfigMap " + where + " has no key '" + mig.key() + "'; per-GPU layouts "
                    + "come from the device plugin's totals (use --mig-key)");
        } else if (snapshot.migConfigError() != null) {
            err.println("note: the mig-parted file in ConfigMap " + where + " is unreadable ("
                    + snapshot.migConfigError() + "); Quartet treats node layouts as unknown");
        }
    }

    /** Whether any node these settings use is one of MIG Manager (whose layouts the mig-parted file gives). */
    static boolean hasMigManagerNodes(ClusterSnapshot snapshot, PlanningSettings settings) {
        return settings.inventoryBuilder().gpuNodes(snapshot).stream()
                .anyMatch(n -> n.backend() == NodeBackend.MIG_MANAGER);
    }
}
