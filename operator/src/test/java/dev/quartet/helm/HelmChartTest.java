package dev.quartet.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.LintResult;
import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.AgentReports;
import dev.quartet.testsupport.RepositoryRoot;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart without a cluster: strict lint, what default and non-default values render (read back through the
 * operator's own configuration mapping, so a misspelt variable fails), the schema's rejections, and the RBAC
 * rules compared with exactly what the operator calls.
 */
class HelmChartTest {

    private static final String RELEASE = "prod";
    private static final String NAMESPACE = "quartet-system";
    private static final String PREFIX = "prod-quartet";

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = QuartetChart.lint();

        assertThat(lint.isFailed())
                .as("helm lint --strict: %s", lint.getMessages())
                .isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void defaultsInstallOneRestrictedOperatorThatWatchesEveryNamespace() {
        QuartetChart.Rendered chart = QuartetChart.render(RELEASE, NAMESPACE, Map.of());

        Deployment deployment = chart.one(Deployment.class, PREFIX);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container operator = pod.getContainers().get(0);
        assertThat(operator.getImage())
                .isEqualTo("ghcr.io/quartet-dev/quartet-operator:" + ImageNamesTest.projectVersion());
        assertThat(pod.getServiceAccountName()).isEqualTo(PREFIX);
        chart.one(ServiceAccount.class, PREFIX);

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var security = operator.getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(operator.getVolumeMounts())
                .singleElement()
                .satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(pod.getVolumes())
                .singleElement()
                .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());

        assertThat(operator.getPorts())
                .extracting(p -> p.getName() + ":" + p.getContainerPort())
                .containsExactly("http:8080", "webhook:8443");
        assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(operator.getLivenessProbe().getHttpGet().getPort().getStrVal())
                .isEqualTo("http");
        assertThat(operator.getResources().getLimits()).containsKey("memory");

        assertThat(fieldRef(operator, "POD_NAME")).isEqualTo("metadata.name");
        assertThat(fieldRef(operator, "POD_NAMESPACE")).isEqualTo("metadata.namespace");
        assertThat(env(operator)).doesNotContainKey("QUARKUS_OPERATOR_SDK_CONTROLLERS_INFERENCEDEPLOYMENT_NAMESPACES");

        Service metrics = chart.one(Service.class, PREFIX + "-metrics");
        assertThat(metrics.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getPort()).isEqualTo(8080);
        });
        assertThat(metrics.getSpec().getSelector())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels())
                .isEqualTo(Map.copyOf(
                        deployment.getSpec().getTemplate().getMetadata().getLabels()));

        chart.one(ClusterRoleBinding.class, PREFIX + "-workloads");
        assertThat(chart.all(RoleBinding.class))
                .extracting(b -> b.getRoleRef().getName())
                .doesNotContain(PREFIX + "-workloads");
        assertThat(chart.hasKind("ServiceMonitor")).isFalse();
    }

    @Test
    void defaultsConfigureTheOperatorAsItsOwnDefaultsDo() {
        Container operator = operatorContainer(QuartetChart.render(RELEASE, NAMESPACE, Map.of()));

        QuartetConfig fromChart = operatorConfig(env(operator));
        QuartetConfig builtIn = operatorConfig(Map.of());

        assertThat(fromChart.worker().image()).isEqualTo(builtIn.worker().image());
        assertThat(fromChart.worker().grpcPort())
                .isEqualTo(builtIn.worker().grpcPort())
                .isEqualTo(8081);
        assertThat(fromChart.migManager()).usingRecursiveComparison().isEqualTo(builtIn.migManager());
        assertThat(fromChart.planner().idleGpuCoverMinSlices())
                .isEqualTo(builtIn.planner().idleGpuCoverMinSlices())
                .isEqualTo(6);
        assertThat(fromChart.webhook().caValidity()).isEqualTo(builtIn.webhook().caValidity());
        assertThat(fromChart.webhook().certificateValidity())
                .isEqualTo(builtIn.webhook().certificateValidity());
        assertThat(fromChart.webhook().port()).isEqualTo(builtIn.webhook().port());
        assertThat(env(operator))
                .containsEntry("QUARTET_LOG_LEVEL", "INFO")
                .containsEntry("QUARTET_LEADER_ELECTION_LEASE_NAME", PREFIX + "-leader");
    }

    @Test
    void nonDefaultValuesReachTheOperatorsConfiguration() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("replicas", 2);
        values.put("image", Map.of("repository", "registry.example/quartet/operator", "tag", "0.2.0-rc1"));
        values.put("workerImage", "registry.example/quartet/worker:0.2.0-rc1");
        values.put("workerGrpcPort", 9081);
        values.put("logLevel", "DEBUG");
        values.put(
                "migManager",
                Map.of(
                        "configMapName",
                        "custom-mig-parted-config",
                        "namespace",
                        "nvidia-gpu",
                        "configKey",
                        "mig.yaml",
                        "repartitionTimeout",
                        "20m",
                        "maxConcurrentRepartitions",
                        3,
                        "retryBackoff",
                        "1h",
                        "repartitionEnabled",
                        false,
                        "allowMigModeChange",
                        true,
                        "layoutVerifyTimeout",
                        "5m"));
        values.put("planner", Map.of("idleGpuCoverMinSlices", 0));
        values.put("javaOpts", "-Xmx256m");
        values.put("extraEnv", List.of(Map.of("name", "QUARTET_WORKER_IMAGE_PULL_POLICY", "value", "Always")));
        values.put("resources", Map.of("limits", Map.of("memory", "1Gi")));
        values.put("nodeSelector", Map.of("node-role.kubernetes.io/control-plane", ""));
        values.put(
                "tolerations",
                List.of(Map.of(
                        "key", "node-role.kubernetes.io/control-plane", "operator", "Exists", "effect", "NoSchedule")));
        QuartetChart.Rendered chart = QuartetChart.render(RELEASE, NAMESPACE, values);

        Deployment deployment = chart.one(Deployment.class, PREFIX);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container operator = pod.getContainers().get(0);
        assertThat(operator.getImage()).isEqualTo("registry.example/quartet/operator:0.2.0-rc1");
        assertThat(operator.getResources().getLimits()).containsEntry("memory", new Quantity("1Gi"));
        assertThat(pod.getNodeSelector()).containsKey("node-role.kubernetes.io/control-plane");
        assertThat(pod.getTolerations())
                .singleElement()
                .satisfies(t -> assertThat(t.getOperator()).isEqualTo("Exists"));

        Map<String, String> env = env(operator);
        assertThat(env).containsEntry("JAVA_TOOL_OPTIONS", "-Xmx256m").containsEntry("QUARTET_LOG_LEVEL", "DEBUG");
        QuartetConfig config = operatorConfig(env);
        assertThat(config.worker().image()).isEqualTo("registry.example/quartet/worker:0.2.0-rc1");
        assertThat(config.worker().imagePullPolicy()).isEqualTo("Always");
        assertThat(config.worker().grpcPort()).isEqualTo(9081);
        QuartetConfig.MigManager mig = config.migManager();
        assertThat(mig.configMapName()).isEqualTo("custom-mig-parted-config");
        assertThat(mig.namespace()).isEqualTo("nvidia-gpu");
        assertThat(mig.configKey()).isEqualTo("mig.yaml");
        assertThat(mig.repartitionTimeout()).isEqualTo(Duration.ofMinutes(20));
        assertThat(mig.maxConcurrentRepartitions()).isEqualTo(3);
        assertThat(mig.retryBackoff()).isEqualTo(Duration.ofHours(1));
        assertThat(mig.repartitionEnabled()).isFalse();
        assertThat(mig.allowMigModeChange()).isTrue();
        assertThat(mig.layoutVerifyTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.planner().idleGpuCoverMinSlices()).isZero();

        Role migRole = chart.one(Role.class, PREFIX + "-mig-manager");
        assertThat(migRole.getMetadata().getNamespace()).isEqualTo("nvidia-gpu");
        assertThat(migRole.getRules())
                .anySatisfy(r -> assertThat(r.getResourceNames()).containsExactly("custom-mig-parted-config"));
        assertThat(chart.one(RoleBinding.class, PREFIX + "-mig-manager")
                        .getMetadata()
                        .getNamespace())
                .isEqualTo("nvidia-gpu");
    }

    @Test
    void watchedNamespacesGetRoleBindingsInsteadOfAClusterWideGrant() {
        QuartetChart.Rendered chart =
                QuartetChart.render(RELEASE, NAMESPACE, Map.of("watchNamespaces", List.of("team-a", "team-b")));

        assertThat(env(operatorContainer(chart)))
                .containsEntry("QUARKUS_OPERATOR_SDK_CONTROLLERS_INFERENCEDEPLOYMENT_NAMESPACES", "team-a,team-b");
        List<RoleBinding> workloads = chart.all(RoleBinding.class).stream()
                .filter(b -> b.getRoleRef().getName().equals(PREFIX + "-workloads"))
                .toList();
        assertThat(workloads).extracting(b -> b.getMetadata().getNamespace()).containsExactly("team-a", "team-b");
        assertThat(workloads).allSatisfy(b -> {
            assertThat(b.getRoleRef().getKind()).isEqualTo("ClusterRole");
            assertThat(b.getSubjects()).singleElement().satisfies(s -> {
                assertThat(s.getName()).isEqualTo(PREFIX);
                assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
        });
        assertThat(chart.all(ClusterRoleBinding.class))
                .extracting(b -> b.getMetadata().getName())
                .as("no cluster-wide grant of workload permissions (the node agent's is its own: pods and nodes)")
                .containsExactlyInAnyOrder(PREFIX + "-cluster", PREFIX + "-webhook", PREFIX + "-node-agent");
        assertThat(chart.all(ClusterRole.class))
                .filteredOn(r -> r.getMetadata().getName().equals(PREFIX + "-cluster"))
                .singleElement()
                .satisfies(r -> assertThat(r.getRules())
                        .flatExtracting(rule -> rule.getResources())
                        // every tenant's pods and DRA claims are capacity in use: read cluster-wide
                        .containsExactlyInAnyOrder(
                                "nodes", "pods", "resourceslices", "resourceclaims", "resourceclaims/binding"));
        Role nodeEvents = chart.one(Role.class, PREFIX + "-node-events");
        assertThat(nodeEvents.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(nodeEvents.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getResources()).containsExactly("events");
            assertThat(r.getVerbs()).containsExactly("create");
        });
        assertThat(chart.one(RoleBinding.class, PREFIX + "-node-events")
                        .getMetadata()
                        .getNamespace())
                .isEqualTo("default");
    }

    @Test
    void theGrafanaDashboardIsAConfigMapTheSidecarFindsAndShowsWhatTheWorkersAndOperatorExport() throws Exception {
        QuartetChart.Rendered chart = QuartetChart.render(RELEASE, NAMESPACE, Map.of());

        ConfigMap map = chart.one(ConfigMap.class, PREFIX + "-dashboard");
        assertThat(map.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(map.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        JsonNode dashboard = new ObjectMapper().readTree(map.getData().get("quartet.json"));
        assertThat(dashboard.path("uid").asText()).isEqualTo("quartet-overview");
        List<String> exprs = new ArrayList<>();
        dashboard
                .path("panels")
                .forEach(p ->
                        p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
        assertThat(exprs).hasSizeGreaterThanOrEqualTo(10);

        // Per slice: the worker's labels for the MIG device (UUID), its profile and the deployment are used.
        String all = String.join("\n", exprs);
        assertThat(all).contains("mig_device", "mig_profile", "deployment", "quartet_worker_requests_in_flight");
        // Every metric it plots is one the worker or the operator documents exporting (their READMEs name them).
        Path root = RepositoryRoot.find();
        String documented = Files.readString(root.resolve("worker-image/README.md"))
                + Files.readString(root.resolve("docs/operator.md"));
        Set<String> known = metricNames(documented);
        Set<String> plotted = metricNames(all);
        assertThat(plotted).hasSizeGreaterThanOrEqualTo(8);
        assertThat(known).containsAll(plotted);
        // The operator's own metrics are there too.
        assertThat(plotted).contains("quartet_slices", "quartet_replicas_unsatisfied", "quartet_reconcile_seconds");

        assertThat(chart.hasKind("PodMonitor"))
                .as("no PodMonitor without the Prometheus Operator's API")
                .isFalse();
    }

    @Test
    void theDashboardGoesWhereTheSidecarLooksOrNowhere() {
        QuartetChart.Rendered elsewhere = QuartetChart.render(
                RELEASE,
                NAMESPACE,
                Map.of(
                        "grafanaDashboard",
                        Map.of(
                                "namespace",
                                "monitoring",
                                "labels",
                                Map.of("dashboards", "quartet"),
                                "annotations",
                                Map.of("grafana_folder", "Quartet"))));
        ConfigMap map = elsewhere.one(ConfigMap.class, PREFIX + "-dashboard");
        assertThat(map.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(map.getMetadata().getLabels()).containsEntry("dashboards", "quartet");
        assertThat(map.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Quartet");

        QuartetChart.Rendered none =
                QuartetChart.render(RELEASE, NAMESPACE, Map.of("grafanaDashboard", Map.of("enabled", false)));
        assertThat(none.all(ConfigMap.class))
                .noneMatch(c -> c.getMetadata().getName().endsWith("-dashboard"));
    }

    /** quartet_* metric names, without the Prometheus suffixes of histograms, timers and counters. */
    private static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("quartet_[a-z_]+").matcher(text);
        while (m.find()) {
            names.add(m.group().replaceAll("_(bucket|count|sum|max|total)$", ""));
        }
        return names;
    }

    @Test
    void theWebhookIsServedThroughTheChartsServiceWithACertificateTheOperatorKeeps() {
        QuartetChart.Rendered chart = QuartetChart.render(RELEASE, NAMESPACE, Map.of());

        ValidatingWebhookConfiguration vwc = chart.one(ValidatingWebhookConfiguration.class, PREFIX);
        assertThat(vwc.getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(vwc.getWebhooks()).singleElement().satisfies(w -> {
            assertThat(w.getName()).isEqualTo("validate.inference.quartet.dev");
            assertThat(w.getFailurePolicy()).isEqualTo("Ignore");
            assertThat(w.getTimeoutSeconds()).isEqualTo(5);
            assertThat(w.getSideEffects()).isEqualTo("None");
            assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
            assertThat(w.getNamespaceSelector()).isNull();
            assertThat(w.getRules()).singleElement().satisfies(r -> {
                assertThat(r.getApiGroups()).containsExactly("inference.quartet.dev");
                assertThat(r.getResources()).containsExactly("inferencedeployments");
                assertThat(r.getOperations()).containsExactly("CREATE", "UPDATE");
            });
            assertThat(w.getClientConfig().getUrl()).isNull();
            assertThat(w.getClientConfig().getCaBundle())
                    .as("the operator sets it")
                    .isNull();
            assertThat(w.getClientConfig().getService().getName()).isEqualTo(PREFIX + "-webhook");
            assertThat(w.getClientConfig().getService().getNamespace()).isEqualTo(NAMESPACE);
            assertThat(w.getClientConfig().getService().getPath()).isEqualTo("/validate");
            assertThat(w.getClientConfig().getService().getPort()).isEqualTo(443);
        });
        Service service = chart.one(Service.class, PREFIX + "-webhook");
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(443);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("webhook");
        });
        Secret secret = chart.one(Secret.class, PREFIX + "-webhook-tls");
        assertThat(secret.getData())
                .as("Helm creates it empty; the operator fills it")
                .isNullOrEmpty();

        QuartetConfig.Webhook config =
                operatorConfig(env(operatorContainer(chart))).webhook();
        assertThat(config.enabled()).isTrue();
        assertThat(config.manageCertificate()).isTrue();
        assertThat(config.secretName()).isEqualTo(secret.getMetadata().getName());
        assertThat(config.configurationName()).isEqualTo(vwc.getMetadata().getName());
        assertThat(config.hosts())
                .containsExactly(
                        PREFIX + "-webhook." + NAMESPACE + ".svc",
                        PREFIX + "-webhook." + NAMESPACE + ".svc.cluster.local");
        assertThat(config.port()).isEqualTo(8443);
        assertThat(chart.hasKind("Certificate")).isFalse();
    }

    @Test
    void theWebhookCoversOnlyTheServedNamespacesAndCanBeCalledByUrl() {
        QuartetChart.Rendered chart = QuartetChart.render(
                RELEASE,
                NAMESPACE,
                Map.of(
                        "watchNamespaces",
                        List.of("team-a", "team-b"),
                        "webhook",
                        Map.of(
                                "url",
                                "https://127.0.0.1:9443/validate",
                                "failurePolicy",
                                "Fail",
                                "timeoutSeconds",
                                10)));

        ValidatingWebhookConfiguration vwc = chart.one(ValidatingWebhookConfiguration.class, PREFIX);
        assertThat(vwc.getWebhooks()).singleElement().satisfies(w -> {
            assertThat(w.getFailurePolicy()).isEqualTo("Fail");
            assertThat(w.getTimeoutSeconds()).isEqualTo(10);
            assertThat(w.getClientConfig().getService()).isNull();
            assertThat(w.getClientConfig().getUrl()).isEqualTo("https://127.0.0.1:9443/validate");
            assertThat(w.getNamespaceSelector().getMatchExpressions())
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.getKey()).isEqualTo("kubernetes.io/metadata.name");
                        assertThat(e.getOperator()).isEqualTo("In");
                        assertThat(e.getValues()).containsExactly("team-a", "team-b");
                    });
        });
        assertThat(operatorConfig(env(operatorContainer(chart))).webhook().hosts())
                .first()
                .isEqualTo("127.0.0.1");
    }

    @Test
    void withCertManagerTheOperatorOnlyReadsTheSecretItWrites() {
        QuartetChart.Rendered chart = QuartetChart.render(
                RELEASE, NAMESPACE, Map.of("webhook", Map.of("certManager", Map.of("enabled", true))));

        assertThat(chart.all(Secret.class)).isEmpty();
        GenericKubernetesResource certificate = chart.all(GenericKubernetesResource.class).stream()
                .filter(o -> o.getKind().equals("Certificate"))
                .findFirst()
                .orElseThrow();
        Map<String, Object> spec = certificate.get("spec");
        assertThat(spec)
                .containsEntry("secretName", PREFIX + "-webhook-tls")
                .containsEntry(
                        "dnsNames",
                        List.of(
                                PREFIX + "-webhook." + NAMESPACE + ".svc",
                                PREFIX + "-webhook." + NAMESPACE + ".svc.cluster.local"))
                .containsEntry("issuerRef", Map.of("name", PREFIX + "-webhook-selfsigned", "kind", "Issuer"));
        assertThat(chart.hasKind("Issuer")).isTrue();
        assertThat(chart.one(ValidatingWebhookConfiguration.class, PREFIX)
                        .getMetadata()
                        .getAnnotations())
                .containsEntry("cert-manager.io/inject-ca-from", NAMESPACE + "/" + PREFIX + "-webhook");
        assertThat(operatorConfig(env(operatorContainer(chart))).webhook().manageCertificate())
                .isFalse();
        assertThat(chart.one(Role.class, PREFIX + "-webhook").getRules())
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.getVerbs()).containsExactly("get");
                    assertThat(r.getResourceNames()).containsExactly(PREFIX + "-webhook-tls");
                });
        assertThat(chart.all(ClusterRole.class))
                .extracting(r -> r.getMetadata().getName())
                .doesNotContain(PREFIX + "-webhook");

        QuartetChart.Rendered ownIssuer = QuartetChart.render(
                RELEASE,
                NAMESPACE,
                Map.of(
                        "webhook",
                        Map.of(
                                "certManager",
                                Map.of(
                                        "enabled",
                                        true,
                                        "issuerRef",
                                        Map.of("name", "corp-ca", "kind", "ClusterIssuer")))));
        assertThat(ownIssuer.hasKind("Issuer")).isFalse();
    }

    @Test
    void aDisabledWebhookLeavesNoConfigurationSecretOrPermissions() {
        QuartetChart.Rendered chart =
                QuartetChart.render(RELEASE, NAMESPACE, Map.of("webhook", Map.of("enabled", false)));

        assertThat(chart.all(ValidatingWebhookConfiguration.class)).isEmpty();
        assertThat(chart.all(Secret.class)).isEmpty();
        assertThat(chart.all(Role.class))
                .extracting(r -> r.getMetadata().getName())
                .doesNotContain(PREFIX + "-webhook");
        assertThat(chart.all(ClusterRole.class))
                .extracting(r -> r.getMetadata().getName())
                .doesNotContain(PREFIX + "-webhook");
        assertThat(operatorConfig(env(operatorContainer(chart))).webhook().enabled())
                .isFalse();
        assertThat(operatorContainer(chart).getPorts())
                .extracting(p -> p.getName())
                .containsExactly("http");
    }

    @Test
    void serviceMonitorIsSkippedWhenTheClusterDoesNotServeItsApi() {
        // helm template knows only built-in APIs; HelmChartIT covers a cluster that serves monitoring.coreos.com/v1.
        QuartetChart.Rendered chart =
                QuartetChart.render(RELEASE, NAMESPACE, Map.of("serviceMonitor", Map.of("enabled", true)));

        assertThat(chart.hasKind("ServiceMonitor")).isFalse();
        assertThat(chart.objects()).isNotEmpty();
    }

    @Test
    void rbacGrantsExactlyWhatTheOperatorCallsAndNoWildcards() {
        QuartetChart.Rendered chart = QuartetChart.render(RELEASE, NAMESPACE, Map.of());

        // the node agent's own role and binding: theNodeAgentRunsOnMigNodesUnderItsOwnAccount...
        String agent = PREFIX + "-node-agent";
        Set<String> rules = new TreeSet<>();
        chart.all(ClusterRole.class).stream()
                .filter(r -> !r.getMetadata().getName().equals(agent))
                .forEach(r -> r.getRules()
                        .forEach(rule -> rules.add(describe(r.getMetadata().getName(), rule))));
        chart.all(Role.class)
                .forEach(r -> r.getRules()
                        .forEach(rule -> rules.add(describe(
                                r.getMetadata().getNamespace() + "/"
                                        + r.getMetadata().getName(),
                                rule))));

        assertThat(rules).noneMatch(r -> r.contains("*"));
        assertThat(rules)
                .filteredOn(r -> r.contains(" nodes "))
                .containsExactly("prod-quartet-cluster: [] nodes [get, list, watch, patch]");
        assertThat(rules)
                .containsExactlyInAnyOrder(
                        "prod-quartet-cluster: [] nodes [get, list, watch, patch]",
                        "prod-quartet-cluster: [] pods [get, list, watch]",
                        "prod-quartet-workloads: [] events [create]",
                        "prod-quartet-workloads: [inference.quartet.dev] inferencedeployments [get, list, watch]",
                        "prod-quartet-workloads: [inference.quartet.dev] inferencedeployments/status [get, patch]",
                        "prod-quartet-workloads: [inference.quartet.dev] inferencedeployments/finalizers [update]",
                        "prod-quartet-cluster: [resource.k8s.io] resourceslices [get, list, watch]",
                        "prod-quartet-cluster: [resource.k8s.io] resourceclaims [get, list, watch]",
                        "prod-quartet-cluster: [resource.k8s.io] resourceclaims/binding [update]",
                        "prod-quartet-workloads: [] pods [create, delete, patch]",
                        "prod-quartet-workloads: [resource.k8s.io] resourceclaims [create, delete, update]",
                        "prod-quartet-workloads: [resource.k8s.io] resourceclaims/status [update]",
                        "prod-quartet-workloads: [] pods/eviction [create]",
                        "prod-quartet-workloads: [] services [get, list, watch, create, patch]",
                        "prod-quartet-workloads: [policy] poddisruptionbudgets [get, list, watch, create, patch]",
                        "prod-quartet-workloads: [autoscaling] horizontalpodautoscalers [get, list, watch]",
                        "gpu-operator/prod-quartet-mig-manager: [] configmaps [get, list, watch, update]"
                                + " names [default-mig-parted-config]",
                        "gpu-operator/prod-quartet-mig-manager: [] configmaps [create]",
                        "quartet-system/prod-quartet-leader-election: [coordination.k8s.io] leases [get, update, patch]"
                                + " names [prod-quartet-leader]",
                        "quartet-system/prod-quartet-leader-election: [coordination.k8s.io] leases [create]",
                        "quartet-system/prod-quartet-webhook: [] secrets [get, update] names [prod-quartet-webhook-tls]",
                        "prod-quartet-webhook: [admissionregistration.k8s.io] validatingwebhookconfigurations"
                                + " [get, patch] names [prod-quartet]");
        assertThat(chart.all(ClusterRoleBinding.class))
                .filteredOn(b -> !b.getMetadata().getName().equals(agent))
                .allSatisfy(b -> assertThat(b.getSubjects())
                        .singleElement()
                        .satisfies(s -> assertThat(s.getName()).isEqualTo(PREFIX)));
    }

    @Test
    void theNodeAgentIsInstalledByDefaultAndNotWhenDisabled() {
        QuartetChart.Rendered byDefault = QuartetChart.render(RELEASE, NAMESPACE, Map.of());

        assertThat(byDefault.all(DaemonSet.class))
                .extracting(d -> d.getMetadata().getName())
                .containsExactly(PREFIX + "-node-agent");

        QuartetChart.Rendered disabled =
                QuartetChart.render(RELEASE, NAMESPACE, Map.of("nodeAgent", Map.of("enabled", false)));
        assertThat(disabled.all(DaemonSet.class)).isEmpty();
        assertThat(disabled.all(ClusterRole.class))
                .extracting(r -> r.getMetadata().getName())
                .doesNotContain(PREFIX + "-node-agent");
        assertThat(disabled.all(ServiceAccount.class))
                .extracting(a -> a.getMetadata().getName())
                .doesNotContain(PREFIX + "-node-agent");
    }

    @Test
    void theOperatorTakesTheAgentReportsOfTheChartsAgentPodsEveryonesWhenExternalOrNone() {
        QuartetConfig withAgent =
                operatorConfig(env(operatorContainer(QuartetChart.render(RELEASE, NAMESPACE, Map.of()))));
        AgentReports reports = AgentReports.parse(
                withAgent.nodeAgent().reports(),
                withAgent.nodeAgent().podSelector(),
                withAgent.nodeAgent().podNamespace().orElse(""));
        assertThat(reports.mode()).isEqualTo(AgentReports.Mode.AGENT_PODS);
        assertThat(reports.podNamespace()).isEqualTo(NAMESPACE);
        // exactly the labels the DaemonSet gives its pods
        DaemonSet agent = QuartetChart.render(RELEASE, NAMESPACE, Map.of())
                .all(DaemonSet.class)
                .get(0);
        assertThat(reports.podLabels())
                .isEqualTo(agent.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/component", "node-agent");

        QuartetConfig external = operatorConfig(env(operatorContainer(QuartetChart.render(
                RELEASE, NAMESPACE, Map.of("nodeAgent", Map.of("enabled", false, "external", true))))));
        assertThat(external.nodeAgent().reports()).isEqualTo("annotations");

        QuartetConfig off = operatorConfig(env(operatorContainer(
                QuartetChart.render(RELEASE, NAMESPACE, Map.of("nodeAgent", Map.of("enabled", false))))));
        assertThat(off.nodeAgent().reports()).isEqualTo("off");
        // the operator's own default, outside the chart: every node's annotations
        assertThat(operatorConfig(Map.of()).nodeAgent().reports()).isEqualTo("annotations");
    }

    @Test
    void theNodeAgentRunsOnMigNodesUnderItsOwnAccountAllowedOnlyToReadAndPatchPodsAndNodes() {
        QuartetChart.Rendered chart = QuartetChart.render(
                RELEASE, NAMESPACE, Map.of("nodeAgent", Map.of("enabled", true, "resyncInterval", "45s")));

        DaemonSet agent = chart.all(DaemonSet.class).get(0);
        PodSpec pod = agent.getSpec().getTemplate().getSpec();
        String account = PREFIX + "-node-agent";
        assertThat(pod.getServiceAccountName()).isEqualTo(account);
        assertThat(chart.all(ServiceAccount.class))
                .extracting(a -> a.getMetadata().getName())
                .contains(account, PREFIX);
        assertThat(pod.getNodeSelector()).containsExactly(Map.entry("nvidia.com/mig.capable", "true"));
        assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        // the one host mount: the kubelet's PodResources directory, read-only
        assertThat(pod.getVolumes())
                .filteredOn(v -> v.getHostPath() != null)
                .singleElement()
                .satisfies(v -> assertThat(v.getHostPath().getPath()).isEqualTo("/var/lib/kubelet/pod-resources"));
        Container container = pod.getContainers().get(0);
        assertThat(container.getVolumeMounts())
                .filteredOn(m -> m.getMountPath().equals("/var/lib/kubelet/pod-resources"))
                .singleElement()
                .satisfies(m -> assertThat(m.getReadOnly()).isTrue());
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(container.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(fieldRef(container, "QUARTET_AGENT_NODE_NAME")).isEqualTo("spec.nodeName");
        assertThat(env(container))
                .containsEntry("QUARTET_AGENT_POD_RESOURCES_SOCKET", "/var/lib/kubelet/pod-resources/kubelet.sock")
                .containsEntry("QUARTET_AGENT_RESYNC_INTERVAL", "45s")
                .containsEntry("NVIDIA_VISIBLE_DEVICES", "all")
                .containsEntry("NVIDIA_DRIVER_CAPABILITIES", "utility");

        Set<String> rules = new TreeSet<>();
        chart.all(ClusterRole.class).stream()
                .filter(r -> r.getMetadata().getName().equals(account))
                .forEach(r -> r.getRules().forEach(rule -> rules.add(describe(account, rule))));
        assertThat(rules)
                .containsExactlyInAnyOrder(
                        account + ": [] pods [get, list, watch, patch]",
                        account + ": [] nodes [get, list, watch, patch]");
        assertThat(chart.all(ClusterRoleBinding.class))
                .filteredOn(b -> b.getRoleRef().getName().equals(account))
                .singleElement()
                .satisfies(b -> assertThat(b.getSubjects())
                        .singleElement()
                        .satisfies(s -> assertThat(s.getName()).isEqualTo(account)));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "nodeAgent: {enabled: 'yes'}",
                "nodeAgent: {resyncInterval: soon}",
                "nodeAgent: {nodeSelector: {nvidia.com/mig.capable: true}}",
                "nodeAgent: {image: {pullPolicy: Sometimes}}",
                "replicas: two",
                "replicas: -1",
                "watchNamespaces: team-a",
                "watchNamespaces: [Team_A]",
                "migManager: {maxConcurrentRepartitions: '2'}",
                "migManager: {maxConcurrentRepartitions: 0}",
                "migManager: {repartitionEnabled: 'yes'}",
                "migManager: {allowMigModeChange: 'true'}",
                "migManager: {layoutVerifyTimeout: two minutes}",
                "planner: {idleGpuCoverMinSlices: -1}",
                "planner: {idleGpuCoverMinSlices: '6'}",
                "migManager: {repartitionTimeout: ten minutes}",
                "migManager: {retryBackoff: 15}",
                "migManager: {retryBackoff: 1.5h}",
                "migManager: {retryBackoff: 30m1h}",
                "migManager: {namespce: gpu-operator}",
                "logLevel: VERBOSE",
                "image: {repository: 42}",
                "serviceMonitor: {enabled: 'true'}",
                "workerGrpcPort: 8080",
                "workerGrpcPort: '8081'",
                "workerPodMonitor: {enabled: 1}",
                "grafanaDashboard: {namespace: Monitoring}",
                "webhook: {failurePolicy: Sometimes}",
                "webhook: {timeoutSeconds: 31}",
                "webhook: {url: 'http://127.0.0.1:9443/validate'}",
                "webhook: {certificateValidity: 90 days}",
                "webhook: {certManager: {issuer: x}}",
                "replica: 1",
            })
    void schemaRejectsWrongTypesAndUnknownKeys(String yaml) throws Exception {
        Path values = Files.createTempFile(Files.createDirectories(Path.of("target", "helm-values")), "bad-", ".yaml");
        Files.writeString(values, yaml + "\n");
        var template = new com.marcnuri.helm.Helm(QuartetChart.directory())
                .template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(QuartetChart.KUBE_VERSION)
                .withValuesFile(values);

        assertThatThrownBy(template::call)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("schema")
                .hasMessageContaining(yaml.substring(0, yaml.indexOf(':')));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "90", "500ms", "90s", "10m", "1h", "2d", "1.5s", "1h30m", "1m0.5s", "PT10M", "PT1H30M", "PT0.5S",
                "P1DT2H"
            })
    void durationsTheSchemaAcceptsAreDurationsTheOperatorParses(String duration) {
        QuartetChart.Rendered chart = QuartetChart.render(
                RELEASE,
                NAMESPACE,
                Map.of("migManager", Map.of("repartitionTimeout", duration, "retryBackoff", duration)));

        Duration parsed =
                operatorConfig(env(operatorContainer(chart))).migManager().repartitionTimeout();
        assertThat(parsed).isEqualTo(DurationConverter.parseDuration(duration)).isPositive();
    }

    @Test
    void refusesKubernetesOlderThan134() {
        assertThatThrownBy(() -> QuartetChart.render(RELEASE, NAMESPACE, "1.33.9", Map.of()))
                .hasMessageContaining("kubeVersion");
        QuartetChart.render(RELEASE, NAMESPACE, "1.34.0", Map.of());
    }

    @Test
    void chartCrdIsTheRepositoryCrd() throws Exception {
        Path root = RepositoryRoot.find();
        String file = "inferencedeployments.inference.quartet.dev-v1.yml";

        assertThat(Files.readAllBytes(QuartetChart.directory().resolve("crds").resolve(file)))
                .as("helm/quartet/crds and crds/ differ: run hack/update-crds.sh")
                .isEqualTo(Files.readAllBytes(root.resolve("crds").resolve(file)));
    }

    @Test
    void everyValueIsInTheSchemaAndDocumentedInTheReadme() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode values =
                yaml.readTree(QuartetChart.directory().resolve("values.yaml").toFile());
        JsonNode schema = yaml.readTree(
                QuartetChart.directory().resolve("values.schema.json").toFile());
        String readme = Files.readString(QuartetChart.directory().resolve("README.md"));

        Set<String> inValues = new TreeSet<>();
        Set<String> inSchema = new TreeSet<>();
        valuePaths("", values, schema, inValues, inSchema);

        assertThat(inValues)
                .as("values.yaml keys vs values.schema.json properties")
                .isEqualTo(inSchema);
        assertThat(inValues)
                .allSatisfy(path ->
                        assertThat(readme).as("README documents %s", path).contains("| `" + path + "` |"));
    }

    /** Collects value paths down to the schema's leaves (objects with fixed properties are descended into). */
    private static void valuePaths(
            String prefix, JsonNode values, JsonNode schema, Set<String> inValues, Set<String> inSchema) {
        JsonNode properties = schema.path("properties");
        properties.fieldNames().forEachRemaining(name -> {
            if (!name.equals("global")) {
                inSchema.add(prefix + name);
            }
        });
        values.fieldNames().forEachRemaining(name -> {
            JsonNode property = properties.path(name);
            if (property.has("properties")) {
                inSchema.remove(prefix + name);
                valuePaths(prefix + name + ".", values.get(name), property, inValues, inSchema);
            } else {
                inValues.add(prefix + name);
            }
        });
    }

    static Container operatorContainer(QuartetChart.Rendered chart) {
        return chart.all(Deployment.class)
                .get(0)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
    }

    /** The container's plain-valued environment. */
    static Map<String, String> env(Container container) {
        return container.getEnv().stream()
                .filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue, (a, b) -> b, LinkedHashMap::new));
    }

    private static String fieldRef(Container container, String name) {
        return container.getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .findFirst()
                .map(e -> e.getValueFrom().getFieldRef().getFieldPath())
                .orElse(null);
    }

    /** The operator's {@link QuartetConfig} as it would read the given environment, over its built-in defaults. */
    static QuartetConfig operatorConfig(Map<String, String> environment) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(environment, 300))
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(QuartetConfig.class)
                .build();
        return config.getConfigMapping(QuartetConfig.class);
    }

    private static String describe(String role, PolicyRule rule) {
        List<String> parts = new ArrayList<>(List.of(
                role + ": " + rule.getApiGroups(),
                String.join(",", rule.getResources()),
                rule.getVerbs().toString()));
        if (rule.getResourceNames() != null && !rule.getResourceNames().isEmpty()) {
            parts.add("names " + rule.getResourceNames());
        }
        return String.join(" ", parts);
    }
}
