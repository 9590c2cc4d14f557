package dev.quartet.cli;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The live cluster as the operator reads it, read once through the user's kubeconfig: nodes, every pod, MIG
 * Manager's mig-parted ConfigMap and the InferenceDeployments of the namespaces the operator serves. Read only.
 */
record LiveCluster(ClusterSnapshot snapshot, List<InferenceDeployment> deployments, ConfigMap migConfigMap) {

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
        return new LiveCluster(snapshot, deployments, cm);
    }

    /** A note on standard error when MIG Manager's file could not be read: layouts come from the device plugin. */
    void noteMissingMigConfig(ClusterOptions options, PrintStream err) {
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
}
