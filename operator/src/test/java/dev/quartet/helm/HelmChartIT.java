package dev.quartet.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quartet.testsupport.LocalCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chart installed with Helm on the local control plane (with {@code replicas: 0}: no kubelet here runs
 * the operator image): the CRD, ServiceAccount and RBAC objects exist, the ServiceAccount can do exactly what the
 * operator does and no more, the ServiceMonitor appears only where its API is served, and uninstall removes it all.
 */
class HelmChartIT {

    private static final String CRD = "inferencedeployments.inference.quartet.dev";
    private static final String SERVICE_MONITOR_CRD = "servicemonitors.monitoring.coreos.com";

    private final LocalCluster cluster = LocalCluster.shared();
    private final KubernetesClient admin = cluster.client();
    private String namespace;
    private String migNamespace;

    @BeforeEach
    void namespaces() {
        namespace = cluster.createNamespace("helm");
        migNamespace = cluster.createNamespace("mig");
    }

    @AfterEach
    void deleteNamespaces() {
        cluster.deleteNamespace(namespace);
        cluster.deleteNamespace(migNamespace);
    }

    @Test
    void installsTheOperatorsObjectsAndUninstallsThem() {
        String prefix;
        try (ChartInstallation chart = ChartInstallation.install(
                cluster, namespace, Map.of("migManager", Map.of("namespace", migNamespace)))) {
            prefix = chart.serviceAccountName();
            assertThat(prefix).isEqualTo(namespace + "-quartet");

            CustomResourceDefinition crd = admin.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(CRD)
                    .get();
            assertThat(crd).as("CRD from the chart's crds/").isNotNull();
            cluster.awaitCrdEstablished(CRD);
            assertThat(admin.serviceAccounts()
                            .inNamespace(namespace)
                            .withName(prefix)
                            .get())
                    .isNotNull();
            assertThat(admin.rbac().clusterRoles().withName(prefix + "-cluster").get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .clusterRoles()
                            .withName(prefix + "-workloads")
                            .get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .clusterRoleBindings()
                            .withName(prefix + "-cluster")
                            .get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .clusterRoleBindings()
                            .withName(prefix + "-workloads")
                            .get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .roles()
                            .inNamespace(migNamespace)
                            .withName(prefix + "-mig-manager")
                            .get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .roleBindings()
                            .inNamespace(migNamespace)
                            .withName(prefix + "-mig-manager")
                            .get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .roles()
                            .inNamespace(namespace)
                            .withName(prefix + "-leader-election")
                            .get())
                    .isNotNull();
            Deployment deployment = admin.apps()
                    .deployments()
                    .inNamespace(namespace)
                    .withName(prefix)
                    .get();
            assertThat(deployment.getSpec().getReplicas()).isZero();
            assertThat(admin.services()
                            .inNamespace(namespace)
                            .withName(prefix + "-metrics")
                            .get())
                    .isNotNull();

            Map<String, String> env = chart.operatorEnvironment();
            assertThat(env)
                    .containsEntry("POD_NAMESPACE", namespace)
                    .containsEntry("QUARTET_MIG_MANAGER_NAMESPACE", migNamespace)
                    .containsEntry("QUARTET_LEADER_ELECTION_LEASE_NAME", prefix + "-leader")
                    .doesNotContainKeys("JAVA_TOOL_OPTIONS", "KUBECONFIG");

            try (KubernetesClient operator = chart.newServiceAccountClient()) {
                assertThat(operator.getConfiguration().getNamespace()).isEqualTo(namespace);
                assertAllowed(operator, "list", "", "nodes", "", null, null);
                assertAllowed(operator, "watch", "", "nodes", "", null, null);
                assertAllowed(operator, "patch", "", "nodes", "", null, "gpu-node-1");
                assertDenied(operator, "update", "", "nodes", "", null, "gpu-node-1");
                assertDenied(operator, "delete", "", "nodes", "", null, "gpu-node-1");
                assertAllowed(operator, "watch", "", "pods", "", null, null);
                assertAllowed(operator, "create", "", "pods", "", "any-tenant", null);
                assertAllowed(operator, "delete", "", "pods", "", "any-tenant", "replica-0");
                assertDenied(operator, "update", "", "pods", "", "any-tenant", "replica-0");
                assertAllowed(operator, "create", "", "pods", "eviction", "any-tenant", "replica-0");
                assertAllowed(operator, "patch", "policy", "poddisruptionbudgets", "", "any-tenant", "x");
                assertDenied(operator, "delete", "policy", "poddisruptionbudgets", "", "any-tenant", "x");
                assertAllowed(operator, "watch", "autoscaling", "horizontalpodautoscalers", "", "any-tenant", null);
                assertDenied(operator, "patch", "autoscaling", "horizontalpodautoscalers", "", "any-tenant", "x");
                assertAllowed(
                        operator,
                        "patch",
                        "inference.quartet.dev",
                        "inferencedeployments",
                        "status",
                        "any-tenant",
                        "x");
                assertDenied(operator, "patch", "inference.quartet.dev", "inferencedeployments", "", "any-tenant", "x");
                assertAllowed(operator, "create", "", "events", "", "default", null);
                assertDenied(operator, "get", "", "secrets", "", namespace, null);
                assertDenied(operator, "create", "apps", "deployments", "", namespace, null);
                assertDenied(operator, "get", "", "configmaps", "", "kube-system", "default-mig-parted-config");
                assertDenied(operator, "get", "", "configmaps", "", migNamespace, "another-config");
                assertDenied(operator, "get", "coordination.k8s.io", "leases", "", namespace, "another-lease");
                assertDenied(operator, "create", "coordination.k8s.io", "leases", "", "default", null);
                String secret = prefix + "-webhook-tls";
                assertAllowed(operator, "get", "", "secrets", "", namespace, secret);
                assertAllowed(operator, "update", "", "secrets", "", namespace, secret);
                assertDenied(operator, "get", "", "secrets", "", namespace, "another-secret");
                assertDenied(operator, "list", "", "secrets", "", namespace, null);
                assertDenied(operator, "delete", "", "secrets", "", namespace, secret);
                assertDenied(operator, "get", "", "secrets", "", "default", secret);
                String webhooks = "validatingwebhookconfigurations";
                assertAllowed(operator, "get", "admissionregistration.k8s.io", webhooks, "", null, prefix);
                assertAllowed(operator, "patch", "admissionregistration.k8s.io", webhooks, "", null, prefix);
                assertDenied(operator, "patch", "admissionregistration.k8s.io", webhooks, "", null, "another");
                assertDenied(operator, "create", "admissionregistration.k8s.io", webhooks, "", null, null);
                assertDenied(operator, "delete", "admissionregistration.k8s.io", webhooks, "", null, prefix);
                assertDenied(operator, "update", "admissionregistration.k8s.io", webhooks, "", null, prefix);

                assertAllowed(operator, "watch", "resource.k8s.io", "resourceslices", "", null, null);
                assertAllowed(operator, "watch", "resource.k8s.io", "resourceclaims", "", null, null);
                assertAllowed(operator, "update", "resource.k8s.io", "resourceclaims", "status", "any-tenant", "x");
                assertAllowed(operator, "update", "resource.k8s.io", "resourceclaims", "binding", null, null);
                assertDenied(operator, "create", "resource.k8s.io", "resourceslices", "", null, null);
                assertDenied(operator, "patch", "resource.k8s.io", "resourceclaims", "status", "any-tenant", "x");

                operator.nodes().list();
                operator.pods().inAnyNamespace().list();
                actOnAClaimAsTheOperatorDoes(operator, namespace);
                actOnTheMigConfigMapAsTheOperatorDoes(operator, "default-mig-parted-config");
                actOnTheLeaseAsLeaderElectionDoes(operator, env.get("QUARTET_LEADER_ELECTION_LEASE_NAME"));
            }
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(admin.rbac().clusterRoles().withName(prefix + "-cluster").get())
                    .isNull();
            assertThat(admin.rbac()
                            .clusterRoleBindings()
                            .withName(prefix + "-workloads")
                            .get())
                    .isNull();
            assertThat(admin.rbac()
                            .roles()
                            .inNamespace(migNamespace)
                            .withName(prefix + "-mig-manager")
                            .get())
                    .isNull();
            assertThat(admin.serviceAccounts()
                            .inNamespace(namespace)
                            .withName(prefix)
                            .get())
                    .isNull();
            assertThat(admin.admissionRegistration()
                            .v1()
                            .validatingWebhookConfigurations()
                            .withName(prefix)
                            .get())
                    .isNull();
            assertThat(admin.secrets()
                            .inNamespace(namespace)
                            .withName(prefix + "-webhook-tls")
                            .get())
                    .isNull();
        });
        assertThat(admin.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(CRD)
                        .get())
                .as("Helm keeps CRDs on uninstall")
                .isNotNull();
    }

    @Test
    void watchedNamespacesAreTheOnlyOnesWhereTheOperatorCreatesWorkloads() {
        String teamA = cluster.createNamespace("team-a");
        try (ChartInstallation chart = ChartInstallation.install(
                        cluster,
                        namespace,
                        Map.of("migManager", Map.of("namespace", migNamespace), "watchNamespaces", List.of(teamA)));
                KubernetesClient operator = chart.newServiceAccountClient()) {
            String prefix = chart.serviceAccountName();

            assertThat(admin.rbac()
                            .roleBindings()
                            .inNamespace(teamA)
                            .withName(prefix + "-workloads")
                            .get())
                    .isNotNull();
            assertThat(admin.rbac()
                            .clusterRoleBindings()
                            .withName(prefix + "-workloads")
                            .get())
                    .isNull();
            assertThat(chart.operatorEnvironment())
                    .containsEntry("QUARKUS_OPERATOR_SDK_CONTROLLERS_INFERENCEDEPLOYMENT_NAMESPACES", teamA);
            assertAllowed(operator, "create", "", "pods", "", teamA, null);
            assertAllowed(operator, "create", "", "services", "", teamA, null);
            assertDenied(operator, "create", "", "pods", "", migNamespace, null);
            assertDenied(operator, "create", "", "services", "", "default", null);
            assertAllowed(operator, "list", "", "pods", "", null, null);
        } finally {
            cluster.deleteNamespace(teamA);
        }
    }

    @Test
    void serviceMonitorIsCreatedWhenThePrometheusOperatorApiIsServed() {
        boolean created = ensureServiceMonitorCrd();
        try (ChartInstallation chart = ChartInstallation.install(
                cluster,
                namespace,
                Map.of(
                        "migManager",
                        Map.of("namespace", migNamespace),
                        "serviceMonitor",
                        Map.of("enabled", true, "labels", Map.of("release", "prometheus"))))) {
            List<GenericKubernetesResource> monitors = admin.genericKubernetesResources(
                            "monitoring.coreos.com/v1", "ServiceMonitor")
                    .inNamespace(namespace)
                    .list()
                    .getItems();

            assertThat(monitors).singleElement().satisfies(m -> {
                assertThat(m.getMetadata().getLabels()).containsEntry("release", "prometheus");
                List<Map<String, Object>> endpoints = m.get("spec", "endpoints");
                assertThat(endpoints).singleElement().satisfies(e -> {
                    assertThat(e).containsEntry("port", "http").containsEntry("path", "/q/metrics");
                });
            });
        } finally {
            if (created) {
                admin.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(SERVICE_MONITOR_CRD)
                        .delete();
            }
        }
    }

    @Test
    void theNodeAgentsAccountMayReadAndPatchPodsAndNodesAndNothingElse() {
        // No node carries the selector's label: the DaemonSet exists but starts no pod on the simulated nodes.
        try (ChartInstallation chart = ChartInstallation.install(
                cluster,
                namespace,
                Map.of(
                        "migManager",
                        Map.of("namespace", migNamespace),
                        "nodeAgent",
                        Map.of("enabled", true, "nodeSelector", Map.of("quartet.dev/no-such-node", "true"))))) {
            String account = chart.serviceAccountName() + "-node-agent";
            assertThat(admin.apps()
                            .daemonSets()
                            .inNamespace(namespace)
                            .withName(account)
                            .get())
                    .isNotNull();
            Config asAgent = new ConfigBuilder(admin.getConfiguration())
                    .withImpersonateUsername("system:serviceaccount:" + namespace + ":" + account)
                    .withImpersonateGroups(
                            "system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated")
                    .build();
            try (KubernetesClient agent =
                    new KubernetesClientBuilder().withConfig(asAgent).build()) {
                assertAllowed(agent, "list", "", "pods", "", null, null);
                assertAllowed(agent, "watch", "", "pods", "", null, null);
                assertAllowed(agent, "patch", "", "pods", "", "any-tenant", "replica-0");
                assertAllowed(agent, "list", "", "nodes", "", null, null);
                assertAllowed(agent, "watch", "", "nodes", "", null, null);
                assertAllowed(agent, "patch", "", "nodes", "", null, "gpu-node-1");
                assertDenied(agent, "update", "", "pods", "", "any-tenant", "replica-0");
                assertDenied(agent, "delete", "", "pods", "", "any-tenant", "replica-0");
                assertDenied(agent, "create", "", "pods", "", "any-tenant", null);
                assertDenied(agent, "create", "", "pods", "eviction", "any-tenant", "replica-0");
                assertDenied(agent, "patch", "", "pods", "status", "any-tenant", "replica-0");
                assertDenied(agent, "update", "", "nodes", "", null, "gpu-node-1");
                assertDenied(agent, "delete", "", "nodes", "", null, "gpu-node-1");
                assertDenied(agent, "get", "", "secrets", "", namespace, null);
                assertDenied(agent, "get", "", "configmaps", "", migNamespace, "default-mig-parted-config");
                assertDenied(agent, "list", "inference.quartet.dev", "inferencedeployments", "", null, null);
                // what the agent's informers ask for
                agent.pods()
                        .inAnyNamespace()
                        .withField("spec.nodeName", "gpu-node-1")
                        .list();
                agent.nodes().withField("metadata.name", "gpu-node-1").list();
            }
        }
    }

    @Test
    void packagedOperatorGetsReadyAsTheChartsPodWithOnlyTheChartsPermissions() throws Exception {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
        assertThat(jar)
                .as("the packaged operator (failsafe runs after `package`)")
                .exists();
        int[] user = imageUser();
        // Serving one empty namespace: the operator starts every informer but has nothing of another test to act on.
        String served = cluster.createNamespace("served");
        try (ChartInstallation chart = ChartInstallation.install(
                cluster,
                namespace,
                Map.of("migManager", Map.of("namespace", migNamespace), "watchNamespaces", List.of(served)))) {
            Path dir = chart.serviceAccountKubeconfig().getParent();
            boolean asImageUser = "root".equals(System.getProperty("user.name"));
            // As the image's user: everything but the pod's /tmp stand-in is read-only to it. The app is staged
            // outside the checkout, whose parents (a mktemp -d clone) that user may not traverse.
            Path pod =
                    asImageUser ? PodFilesystem.stage(jar.getParent(), chart.serviceAccountKubeconfig(), user) : null;
            Path app = pod == null ? jar : pod.resolve("app").resolve(jar.getFileName());
            Path kubeconfig = pod == null ? chart.serviceAccountKubeconfig() : pod.resolve("kubeconfig");
            Path tmp = pod == null ? Files.createTempDirectory(dir, "tmp-") : pod.resolve("tmp");
            List<String> command = new ArrayList<>();
            if (asImageUser) {
                command.addAll(List.of("setpriv", "--reuid=" + user[0], "--regid=" + user[1], "--clear-groups"));
            }
            command.addAll(List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-Xmx128m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                    "-Djava.io.tmpdir=" + tmp,
                    "-jar",
                    app.toString()));
            int port = freePort();
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("operator.log").toFile());
            builder.environment().clear();
            builder.environment().put("PATH", System.getenv("PATH"));
            builder.environment().put("HOME", "/nonexistent");
            builder.environment().putAll(chart.operatorEnvironment());
            builder.environment().put("KUBECONFIG", kubeconfig.toString());
            builder.environment().put("QUARTET_HTTP_PORT", Integer.toString(port));
            builder.environment().put("QUARTET_WEBHOOK_PORT", "0");
            Process operator = builder.start();
            try {
                await().atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> {
                            if (!operator.isAlive()) {
                                throw new IllegalStateException("the operator exited with " + operator.exitValue()
                                        + ":\n" + Files.readString(dir.resolve("operator.log")));
                            }
                            assertThat(httpStatus(port, "/q/health/ready")).isEqualTo(200);
                        });
                assertThat(httpStatus(port, "/q/health/live")).isEqualTo(200);
                assertThat(httpStatus(port, "/q/metrics")).isEqualTo(200);
                String leaseName = chart.operatorEnvironment().get("QUARTET_LEADER_ELECTION_LEASE_NAME");
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(admin.leases()
                                        .inNamespace(namespace)
                                        .withName(leaseName)
                                        .get()
                                        .getSpec()
                                        .getHolderIdentity())
                                .startsWith(chart.operatorEnvironment().get("POD_NAME")));
                // With the chart's permissions alone, the operator made its webhook's CA and certificate in the
                // chart's Secret and put the CA into the webhook configuration's caBundle.
                String prefix = chart.serviceAccountName();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    var secret = admin.secrets()
                            .inNamespace(namespace)
                            .withName(prefix + "-webhook-tls")
                            .get();
                    assertThat(secret.getData()).containsKeys("ca.crt", "ca.key", "tls.crt", "tls.key");
                    assertThat(admin.admissionRegistration()
                                    .v1()
                                    .validatingWebhookConfigurations()
                                    .withName(prefix)
                                    .get()
                                    .getWebhooks())
                            .singleElement()
                            .satisfies(w -> assertThat(w.getClientConfig().getCaBundle())
                                    .isEqualTo(secret.getData().get("ca.crt")));
                });
                assertThat(Files.readString(dir.resolve("operator.log")))
                        .contains("webhook: serving HTTPS on port")
                        .doesNotContain("Forbidden", "forbidden");
            } finally {
                operator.destroy();
                if (!operator.waitFor(30, TimeUnit.SECONDS)) {
                    operator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                PodFilesystem.delete(pod);
            }
        } finally {
            cluster.deleteNamespace(served);
        }
    }

    /** What MigConfigStore and the ConfigMap informer do, filtered to the one name the Role allows. */
    private void actOnTheMigConfigMapAsTheOperatorDoes(KubernetesClient operator, String name) {
        var configMaps = operator.configMaps().inNamespace(migNamespace);
        assertThat(configMaps.withField("metadata.name", name).list().getItems())
                .isEmpty();
        configMaps
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .addToData("config.yaml", "version: v1\nmig-configs: {}\n")
                        .build())
                .create();
        ConfigMap current = configMaps.withName(name).get();
        current.getData().put("config.yaml", "version: v1\nmig-configs:\n  all-disabled: []\n");
        configMaps.resource(current).update();
        try (Watch watch = configMaps.withField("metadata.name", name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap resource) {}

            @Override
            public void onClose(WatcherException cause) {}
        })) {
            assertThat(watch).isNotNull();
        }
        assertThatThrownBy(() -> configMaps.list())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e ->
                        assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }

    /** What fabric8's LeaseLock does: create the Lease once, then read it and merge-patch it. */
    private void actOnTheLeaseAsLeaderElectionDoes(KubernetesClient operator, String lease) {
        var leases = operator.leases().inNamespace(namespace);
        leases.resource(new LeaseBuilder()
                        .withNewMetadata()
                        .withName(lease)
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity("helm-it")
                        .withLeaseDurationSeconds(15)
                        .endSpec()
                        .build())
                .create();
        Lease current = leases.withName(lease).get();
        current.getSpec().setHolderIdentity("helm-it-2");
        assertThat(leases.resource(current)
                        .patch(PatchContext.of(PatchType.JSON_MERGE))
                        .getSpec()
                        .getHolderIdentity())
                .isEqualTo("helm-it-2");
    }

    private boolean ensureServiceMonitorCrd() {
        if (admin.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(SERVICE_MONITOR_CRD)
                        .get()
                != null) {
            return false;
        }
        String yaml = """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata:
                  name: servicemonitors.monitoring.coreos.com
                spec:
                  group: monitoring.coreos.com
                  scope: Namespaced
                  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
                  versions:
                    - name: v1
                      served: true
                      storage: true
                      schema:
                        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
                """;
        var crds = admin.apiextensions().v1().customResourceDefinitions();
        crds.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                .create();
        cluster.awaitCrdEstablished(SERVICE_MONITOR_CRD);
        await().atMost(Duration.ofSeconds(30)).until(() -> admin.getApiResources("monitoring.coreos.com/v1") != null);
        return true;
    }

    private static void assertAllowed(
            KubernetesClient client,
            String verb,
            String group,
            String resource,
            String subresource,
            String namespace,
            String name) {
        assertThat(allowed(client, verb, group, resource, subresource, namespace, name))
                .as("%s %s/%s/%s in %s name %s", verb, group, resource, subresource, namespace, name)
                .isTrue();
    }

    private static void assertDenied(
            KubernetesClient client,
            String verb,
            String group,
            String resource,
            String subresource,
            String namespace,
            String name) {
        assertThat(allowed(client, verb, group, resource, subresource, namespace, name))
                .as("%s %s/%s/%s in %s name %s must be denied", verb, group, resource, subresource, namespace, name)
                .isFalse();
    }

    /**
     * A replica's claim on a DRA node, as the chart's ServiceAccount: created, given the scheduler's delete-protection
     * finalizer, its allocation written into status (on 1.36, with DRAResourceClaimGranularStatusAuthorization beta
     * and on, that needs update on resourceclaims/binding at the cluster scope besides resourceclaims/status), then
     * released and deleted.
     */
    private static void actOnAClaimAsTheOperatorDoes(KubernetesClient operator, String namespace) {
        var claims = operator.dynamicResourceAllocation().v1().resourceClaims().inNamespace(namespace);
        var claim = claims.resource(new io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder()
                        .withNewMetadata()
                        .withName("rbac-check-mig")
                        .withNamespace(namespace)
                        .endMetadata()
                        .withNewSpec()
                        .withNewDevices()
                        .addNewRequest()
                        .withName(dev.quartet.dependent.ReplicaClaimFactory.REQUEST)
                        .withNewExactly()
                        .withDeviceClassName("mig.nvidia.com")
                        .endExactly()
                        .endRequest()
                        .endDevices()
                        .endSpec()
                        .build())
                .create();
        claim.getMetadata().setFinalizers(List.of(dev.quartet.dependent.ReplicaClaimFactory.DELETE_PROTECTION));
        claim = claims.resource(claim).update();
        claim.setStatus(new io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder()
                .withAllocation(dev.quartet.dependent.ReplicaClaimFactory.allocation(
                        "gpu-node-1", "gpu-0-mig-1g6gb-14-3", java.time.Instant.now()))
                .build());
        claim = claims.resource(claim).updateStatus();
        assertThat(claim.getStatus().getAllocation().getDevices().getResults())
                .singleElement()
                .satisfies(r -> assertThat(r.getDevice()).isEqualTo("gpu-0-mig-1g6gb-14-3"));
        // release it as the resource-claim controller would, then delete it
        claim.getStatus().setAllocation(null);
        claim = claims.resource(claim).updateStatus();
        claim.getMetadata().setFinalizers(List.of());
        claims.resource(claim).update();
        claims.withName("rbac-check-mig").delete();
    }

    private static boolean allowed(
            KubernetesClient client,
            String verb,
            String group,
            String resource,
            String subresource,
            String namespace,
            String name) {
        SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder()
                .withNewSpec()
                .withNewResourceAttributes()
                .withVerb(verb)
                .withGroup(group)
                .withResource(resource)
                .withSubresource(subresource)
                .withNamespace(namespace)
                .withName(name)
                .endResourceAttributes()
                .endSpec()
                .build();
        return client.authorization()
                .v1()
                .selfSubjectAccessReview()
                .create(review)
                .getStatus()
                .getAllowed();
    }

    /** The numeric {@code uid:gid} the operator image runs as (quarkus.jib.user, which Jib writes as its User). */
    private static int[] imageUser() throws Exception {
        Path file = cluster().repositoryRoot().resolve("operator/src/main/resources/application.properties");
        java.util.Properties properties = new java.util.Properties();
        try (var in = Files.newInputStream(file)) {
            properties.load(in);
        }
        String user = properties.getProperty("quarkus.jib.user", "");
        assertThat(user)
                .as("numeric, non-root image user (runAsNonRoot cannot check a user name)")
                .matches("[1-9][0-9]*:[0-9]+");
        String[] ids = user.split(":");
        return new int[] {Integer.parseInt(ids[0]), Integer.parseInt(ids[1])};
    }

    private static LocalCluster cluster() {
        return LocalCluster.shared();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int httpStatus(int port, String path) {
        try {
            HttpResponse<Void> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
            return response.statusCode();
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
