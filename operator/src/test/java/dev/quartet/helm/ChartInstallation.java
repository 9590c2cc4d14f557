package dev.quartet.helm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import dev.quartet.testsupport.LocalCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The chart installed with Helm into a namespace of the {@link LocalCluster}, for tests that must run Quartet with
 * exactly the chart's permissions: {@link #serviceAccountKubeconfig()} authenticates as the chart's ServiceAccount
 * (a bound token from the TokenRequest API, as the kubelet gives a pod), and {@link #operatorEnvironment()}
 * is the environment the chart gives the operator container. {@link #close()} uninstalls the release (the CRD
 * stays: Helm never deletes what crds/ created).
 *
 * <pre>{@code
 * try (ChartInstallation chart = ChartInstallation.install(cluster, namespace, Map.of())) {
 *     OperatorProcess.start(chart.serviceAccountKubeconfig(), chart.namespace(), chart.operatorEnvironment(), logs);
 * }
 * }</pre>
 */
public final class ChartInstallation implements AutoCloseable {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final long TOKEN_TIMEOUT_SECONDS = 60;
    private static final long TOKEN_LIFETIME_SECONDS = 24 * 3600;

    private final LocalCluster cluster;
    private final String release;
    private final String namespace;
    private final ServiceAccount serviceAccount;
    private final Deployment deployment;
    private final Path kubeconfig;
    private boolean uninstalled;

    private ChartInstallation(
            LocalCluster cluster,
            String release,
            String namespace,
            ServiceAccount serviceAccount,
            Deployment deployment,
            Path kubeconfig) {
        this.cluster = cluster;
        this.release = release;
        this.namespace = namespace;
        this.serviceAccount = serviceAccount;
        this.deployment = deployment;
        this.kubeconfig = kubeconfig;
    }

    /**
     * Installs the chart as release {@code namespace} into the existing {@code namespace}, with {@code values} over
     * values.yaml. {@code replicas} defaults to 0 (no kubelet here runs the operator image; the test runs the
     * operator itself) and {@code nodeAgent} to disabled and external (the simulator plays the node agents, and the operator takes
     * their reports as written). The MIG Manager namespace and the watched namespaces are created when missing (and left in
     * place: simulators share {@code gpu-operator}). Returns once a token for the ServiceAccount was issued.
     */
    public static ChartInstallation install(LocalCluster cluster, String namespace, Map<String, ?> values) {
        String release = namespace.length() <= 53
                ? namespace
                : namespace.substring(0, 53).replaceAll("-+$", "");
        Map<String, Object> effective = new LinkedHashMap<>(values);
        effective.putIfAbsent("replicas", 0);
        // The simulator plays every node's agent in its own process, and no kubelet here would run the agent's image
        // (nor is there an `nvidia` RuntimeClass): tests that look at the DaemonSet enable it.
        // The operator takes the simulator's agent reports as written (external agents)
        effective.putIfAbsent("nodeAgent", Map.of("enabled", false, "external", true));
        requiredNamespaces(effective).forEach(ns -> ensureNamespace(cluster.client(), ns));

        new Helm(QuartetChart.directory())
                .install()
                .withName(release)
                .withNamespace(namespace)
                .withKubeConfig(cluster.kubeconfig())
                .withValuesFile(QuartetChart.valuesFile(effective))
                .withTimeout(120)
                .call();

        KubernetesClient admin = cluster.client();
        Deployment deployment = admin.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabel("app.kubernetes.io/instance", release)
                .list()
                .getItems()
                .get(0);
        String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
        ServiceAccount serviceAccount = admin.serviceAccounts()
                .inNamespace(namespace)
                .withName(account)
                .waitUntilCondition(Objects::nonNull, TOKEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Path kubeconfig = writeKubeconfig(admin, serviceAccount, release);
        return new ChartInstallation(cluster, release, namespace, serviceAccount, deployment, kubeconfig);
    }

    /**
     * Chart values that have the API server call the webhook of an operator running on this machine, outside the
     * cluster (the local API server runs on loopback too), on a free port: {@code webhook.url} and
     * {@code webhook.port}, which the operator's environment then carries ({@code QUARTET_WEBHOOK_PORT}, and
     * {@code 127.0.0.1} among {@code QUARTET_WEBHOOK_HOSTS}).
     */
    public static Map<String, Object> localWebhook() {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("url", "https://127.0.0.1:" + port + "/validate", "port", port);
    }

    /** {@link #install(LocalCluster, String, Map)} with the chart's default values (and 0 replicas). */
    public static ChartInstallation install(LocalCluster cluster, String namespace) {
        return install(cluster, namespace, Map.of());
    }

    public String release() {
        return release;
    }

    public String namespace() {
        return namespace;
    }

    /** Name of the chart's ServiceAccount (also the prefix of the chart's object names). */
    public String serviceAccountName() {
        return serviceAccount.getMetadata().getName();
    }

    /** A kubeconfig file (under target/) that authenticates as the chart's ServiceAccount; default namespace: the release's. */
    public Path serviceAccountKubeconfig() {
        return kubeconfig;
    }

    /** The fabric8 {@link Config} of {@link #serviceAccountKubeconfig()}. */
    public Config serviceAccountConfig() {
        try {
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
            config.setRequestTimeout(30_000);
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new client acting as the chart's ServiceAccount; the caller closes it. */
    public KubernetesClient newServiceAccountClient() {
        return new KubernetesClientBuilder().withConfig(serviceAccountConfig()).build();
    }

    /**
     * The environment the chart sets on the operator container, with the downward-API values resolved as in a pod
     * ({@code POD_NAMESPACE} = the release namespace, {@code POD_NAME} = {@code <deployment>-local}): the lease name,
     * the watched namespaces, the MIG Manager and worker settings, {@code extraEnv}. Left out: {@code KUBECONFIG}
     * (use {@link #serviceAccountKubeconfig()}) and {@code JAVA_TOOL_OPTIONS} (the caller picks the local JVM's).
     */
    public Map<String, String> operatorEnvironment() {
        Container operator =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : operator.getEnv()) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
                switch (e.getValueFrom().getFieldRef().getFieldPath()) {
                    case "metadata.namespace" -> env.put(e.getName(), namespace);
                    case "metadata.name" ->
                        env.put(e.getName(), deployment.getMetadata().getName() + "-local");
                    default -> throw new IllegalStateException("no local value for " + e.getName());
                }
            }
        }
        env.remove("JAVA_TOOL_OPTIONS");
        return env;
    }

    /** The chart's JVM options ({@code JAVA_TOOL_OPTIONS} of the operator container, values.yaml {@code javaOpts}). */
    public String javaToolOptions() {
        return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> "JAVA_TOOL_OPTIONS".equals(e.getName()) && e.getValue() != null)
                .map(io.fabric8.kubernetes.api.model.EnvVar::getValue)
                .findFirst()
                .orElse("");
    }

    /** The operator container's memory limit in bytes (values.yaml {@code resources.limits.memory}), or -1 without one. */
    public long memoryLimitBytes() {
        var resources = deployment
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getResources();
        if (resources == null
                || resources.getLimits() == null
                || resources.getLimits().get("memory") == null) {
            return -1;
        }
        return io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
                        resources.getLimits().get("memory"))
                .longValue();
    }

    /** {@code helm uninstall}; idempotent. */
    @Override
    public void close() {
        if (!uninstalled) {
            Helm.uninstall(release)
                    .withNamespace(namespace)
                    .withKubeConfig(cluster.kubeconfig())
                    .ignoreNotFound()
                    .call();
            uninstalled = true;
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> requiredNamespaces(Map<String, Object> values) {
        List<String> namespaces = new ArrayList<>();
        Object mig = values.get("migManager");
        Object migNamespace = mig instanceof Map<?, ?> m ? m.get("namespace") : null;
        namespaces.add(migNamespace == null ? "gpu-operator" : migNamespace.toString());
        Object watched = values.get("watchNamespaces");
        if (watched instanceof List<?> list) {
            namespaces.addAll((List<String>) list);
        }
        return namespaces;
    }

    private static void ensureNamespace(KubernetesClient admin, String name) {
        if (admin.namespaces().withName(name).get() == null) {
            try {
                admin.namespaces()
                        .resource(new NamespaceBuilder()
                                .withNewMetadata()
                                .withName(name)
                                .endMetadata()
                                .build())
                        .create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
    }

    private static Path writeKubeconfig(KubernetesClient admin, ServiceAccount account, String release) {
        String namespace = account.getMetadata().getNamespace();
        // No token Secret exists for a ServiceAccount since Kubernetes 1.24: ask for a bound token, as the kubelet
        // does for a pod, valid long enough for a test run or a demo left running.
        String token = admin.serviceAccounts()
                .inNamespace(namespace)
                .withName(account.getMetadata().getName())
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(TOKEN_LIFETIME_SECONDS)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();

        Config adminConfig = admin.getConfiguration();
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("server", adminConfig.getMasterUrl());
        if (adminConfig.isTrustCerts()) {
            cluster.put("insecure-skip-tls-verify", true);
        } else {
            cluster.put("certificate-authority-data", adminConfig.getCaCertData());
        }
        String user = "system:serviceaccount:" + namespace + ":"
                + account.getMetadata().getName();
        Map<String, Object> kubeconfig = new LinkedHashMap<>();
        kubeconfig.put("apiVersion", "v1");
        kubeconfig.put("kind", "Config");
        kubeconfig.put("clusters", List.of(Map.of("name", "local", "cluster", cluster)));
        kubeconfig.put("users", List.of(Map.of("name", user, "user", Map.of("token", token))));
        kubeconfig.put(
                "contexts",
                List.of(Map.of(
                        "name", release, "context", Map.of("cluster", "local", "user", user, "namespace", namespace))));
        kubeconfig.put("current-context", release);
        try {
            Path dir = Files.createDirectories(Path.of("target", "helm-installations", release));
            Path file = dir.resolve("serviceaccount.kubeconfig");
            YAML.writeValue(file.toFile(), kubeconfig);
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
