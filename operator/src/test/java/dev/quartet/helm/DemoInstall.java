package dev.quartet.helm;

import dev.quartet.testsupport.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Used by hack/demo.sh: installs the Helm chart (CRD, ServiceAccount, RBAC, the admission webhook's configuration
 * pointing at a loopback port; no operator pod, the demo runs the operator as a local process) into a namespace of
 * the cluster named by {@code QUARTET_KUBECONFIG}, and writes the operator's environment (as the chart's Deployment
 * has it, with that webhook port, plus KUBECONFIG for the ServiceAccount).
 *
 * <p>{@code DemoInstall NAMESPACE ENV_FILE}
 */
public final class DemoInstall {

    private DemoInstall() {}

    public static void main(String[] args) {
        try {
            install(args[0], Path.of(args[1]));
            System.exit(0);
        } catch (Throwable e) {
            // the client's threads would keep the JVM (and so the demo) waiting for ever
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void install(String namespace, Path envFile) throws Exception {
        LocalCluster cluster = LocalCluster.shared();
        if (cluster.client().namespaces().withName(namespace).get() == null) {
            cluster.client()
                    .namespaces()
                    .resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                            .withNewMetadata()
                            .withName(namespace)
                            .endMetadata()
                            .build())
                    .create();
        }
        // The demo's operator runs on this machine: the API server calls its webhook on a loopback port.
        ChartInstallation chart =
                ChartInstallation.install(cluster, namespace, Map.of("webhook", ChartInstallation.localWebhook()));
        String env = chart.operatorEnvironment().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n"));
        Files.writeString(envFile, env + "\nKUBECONFIG=" + chart.serviceAccountKubeconfig() + "\n");
        System.out.println("installed chart " + chart.release() + " in namespace " + namespace + " (ServiceAccount "
                + chart.serviceAccountName() + ")");
    }
}
