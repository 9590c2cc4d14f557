package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.helm.ChartInstallation;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.sim.DeletedPod;
import dev.quartet.sim.DisruptedPod;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.SimulatorOptions;
import dev.quartet.testsupport.LocalCluster;
import dev.quartet.testsupport.TestPods;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * One end-to-end scene on the shared local control plane: a namespace with the Helm chart installed in it,
 * simulated GPU nodes with their own MIG Manager ConfigMap, and the packaged operator as a process configured by
 * the chart's environment and authenticated as the chart's ServiceAccount. The chart's admission webhook covers the
 * bed's namespace and calls the operator's webhook port on loopback, so every test's creates and updates go
 * through it.
 */
final class OperatorTestBed implements AutoCloseable {

    static final String MIG_CONFIGMAP = "mig-parted-config";
    private static boolean crdInstalled;

    final LocalCluster cluster = LocalCluster.shared();
    final KubernetesClient client = cluster.client();
    final String namespace;
    final GpuNodeSimulator sim;
    final OperatorProcess operator;
    final ChartInstallation chart;
    private final Set<String> nonMovable = new java.util.HashSet<>();
    private final List<GpuNodeSimulator> moreSimulators = new java.util.ArrayList<>();

    /** How late the simulated MIG Manager sees ConfigMap changes (the chart value above waits 3 s). */
    static final Duration CONFIG_FILE_LAG = Duration.ofSeconds(2);

    /**
     * The operator runs with the token of the ServiceAccount the Helm chart creates, bound to exactly the chart's
     * RBAC rules: a rule the operator needs and the chart lacks (or the reverse) fails these tests.
     */
    OperatorTestBed(String name, UnaryOperator<SimulatorOptions> shape, Map<String, String> settings) {
        installCrd(cluster);
        namespace = cluster.createNamespace(name);
        sim = cluster.startSimulator(o -> shape.apply(o).withMigConfigMap(namespace, MIG_CONFIGMAP));
        // As on a real node, MIG Manager sees the ConfigMap through a copy that lags; the operator waits longer.
        sim.setConfigFileLag(CONFIG_FILE_LAG);
        // The operator serves only this namespace (what other test classes leave behind while their namespaces
        // terminate is not its business) through the chart's per-namespace RoleBindings.
        chart = ChartInstallation.install(
                cluster,
                namespace,
                Map.of(
                        "watchNamespaces",
                        List.of(namespace),
                        "migManager",
                        Map.of("namespace", namespace, "configMapName", MIG_CONFIGMAP, "configPropagationDelay", "3s"),
                        "workerImage",
                        "quartet-worker:test",
                        "logLevel",
                        "DEBUG",
                        "webhook",
                        ChartInstallation.localWebhook()));
        Map<String, String> env = new LinkedHashMap<>(chart.operatorEnvironment());
        env.putAll(settings);
        operator = OperatorProcess.start(
                chart.serviceAccountKubeconfig(),
                namespace,
                env,
                Path.of("target/it-logs", namespace).toAbsolutePath());
    }

    /** More simulated nodes (another GPU model, say) on this bed's MIG Manager ConfigMap; closed with the bed. */
    GpuNodeSimulator addSimulator(UnaryOperator<SimulatorOptions> shape) {
        GpuNodeSimulator more = cluster.startSimulator(o -> shape.apply(o).withMigConfigMap(namespace, MIG_CONFIGMAP));
        more.setConfigFileLag(CONFIG_FILE_LAG);
        moreSimulators.add(more);
        return more;
    }

    static synchronized void installCrd(LocalCluster cluster) {
        KubernetesClient client = cluster.client();
        if (crdInstalled) {
            return;
        }
        Path file = Path.of("../crds/inferencedeployments.inference.quartet.dev-v1.yml");
        if (!Files.exists(file)) {
            file = Path.of("target/kubernetes/inferencedeployments.inference.quartet.dev-v1.yml");
        }
        try (FileInputStream in = new FileInputStream(file.toFile())) {
            CustomResourceDefinition crd = client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .load(in)
                    .item();
            crd.getMetadata().setResourceVersion(null);
            client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .resource(crd)
                    .forceConflicts()
                    .serverSideApply();
            cluster.awaitCrdEstablished(crd.getMetadata().getName());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        crdInstalled = true;
    }

    MixedOperation<InferenceDeployment, KubernetesResourceList<InferenceDeployment>, Resource<InferenceDeployment>>
            deployments() {
        return client.resources(InferenceDeployment.class);
    }

    /** Creates the deployment in this bed's namespace; remembers non-movable ones for {@link #assertNoNonMovableReplicaDeleted}. */
    InferenceDeployment create(InferenceDeployment d) {
        d.getMetadata().setNamespace(namespace);
        if (!Boolean.TRUE.equals(d.getSpec().getMovable())) {
            nonMovable.add(d.getMetadata().getName());
        }
        return deployments().inNamespace(namespace).resource(d).create();
    }

    /**
     * Edits the deployment {@code name} of this bed's namespace as a user would, again on a conflict: an edit sends the
     * resourceVersion it read, and the operator's status patches land between that read and the write (a 409 failed
     * RolloutIT once). A user's kubectl edit retries the same way.
     */
    InferenceDeployment edit(String name, UnaryOperator<InferenceDeployment> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return deployments().inNamespace(namespace).withName(name).edit(change);
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    InferenceDeployment get(String name) {
        return deployments().inNamespace(namespace).withName(name).get();
    }

    List<Pod> pods(String deployment) {
        return client.pods()
                .inNamespace(namespace)
                .withLabel(QuartetLabels.DEPLOYMENT, deployment)
                .list()
                .getItems();
    }

    Optional<Condition> condition(String deployment, String type) {
        InferenceDeployment d = get(deployment);
        if (d == null || d.getStatus() == null) {
            return Optional.empty();
        }
        return d.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst();
    }

    boolean conditionIs(String deployment, String type, String status, String reason) {
        return condition(deployment, type)
                .filter(c -> status.equals(c.getStatus()) && (reason == null || reason.equals(c.getReason())))
                .isPresent();
    }

    /** Waits until the deployment reports Ready=True with {@code replicas} ready replicas. */
    void awaitReady(String deployment, int replicas, Duration timeout) {
        awaitReady(deployment, replicas, timeout, true);
    }

    /** As {@link #awaitReady(String, int, Duration)}; {@code reported}: also wait for the agents' device annotations. */
    void awaitReady(String deployment, int replicas, Duration timeout, boolean reported) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    InferenceDeployment d = get(deployment);
                    assertThat(d.getStatus()).as("status of %s", deployment).isNotNull();
                    assertThat(d.getStatus().getReadyReplicas())
                            .as(
                                    "ready replicas of %s; conditions %s",
                                    deployment, d.getStatus().getConditions())
                            .isEqualTo(replicas);
                    assertThat(conditionIs(deployment, "Ready", "True", null)).isTrue();
                    // the node agent reports a replica's device about a second after it runs: tests read it next
                    assertThat(!reported
                                    || pods(deployment).stream()
                                            .filter(TestPods::isRunningAndReady)
                                            .allMatch(TestPods::isRunningReadyAndReported))
                            .as("every Ready replica of %s has its device reported by its node's agent", deployment)
                            .isTrue();
                });
    }

    /**
     * Every test's safety check: the simulator never saw a running replica of a non-movable deployment deleted, nor
     * any replica broken without a deletion (its slice destroyed under it, or ended by a reboot).
     */
    void assertNoNonMovableReplicaDeleted() {
        List<DeletedPod> broken = Stream.concat(Stream.of(sim), moreSimulators.stream())
                .flatMap(s -> s.deletedWhileRunning().stream())
                .filter(p -> p.namespace().equals(namespace))
                .filter(p -> nonMovable.contains(p.labels().get(QuartetLabels.DEPLOYMENT)))
                .toList();
        assertThat(broken)
                .as("running replicas of non-movable deployments deleted")
                .isEmpty();
        // NVIDIA's MIG Manager destroys an instance held by a pod without a process, and a reboot ends every pod:
        // Quartet drains first (the whole node for a MIG mode change), so no replica is ever broken that way.
        List<DisruptedPod> disrupted = Stream.concat(Stream.of(sim), moreSimulators.stream())
                .flatMap(s -> s.disruptedPods().stream())
                .filter(p -> p.namespace().equals(namespace))
                .toList();
        assertThat(disrupted)
                .as("replicas whose slice the node destroyed under them, or that a reboot ended")
                .isEmpty();
    }

    /** Marks a deployment as allowed to lose running replicas (scale-down, deletion) for the safety check. */
    void allowDeletions(String deployment) {
        nonMovable.remove(deployment);
    }

    @Override
    public void close() {
        deployments().inNamespace(namespace).delete();
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> client.pods()
                            .inNamespace(namespace)
                            .withLabel(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                            .list()
                            .getItems()
                            .isEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // leave the rest to the namespace deletion below
        }
        operator.close();
        chart.close();
        sim.close();
        moreSimulators.forEach(GpuNodeSimulator::close);
        cluster.deleteNamespace(namespace);
    }
}
