package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaPlacement;
import dev.quartet.model.TestDeployments;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator's main loop end to end (issue 4): on the real control plane, two simulated nodes with four
 * A30 GPUs each at 4x1g.6gb (32 slices), the packaged operator as a process.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InferenceDeploymentIT {

    static final Duration SOON = Duration.ofSeconds(90);
    static OperatorTestBed bed;

    @BeforeAll
    static void start() {
        bed = new OperatorTestBed(
                "infd",
                o -> o.withNodes(2).withGpusPerNode(4).withLayout("4x1g.6gb"),
                Map.of("QUARTET_NODE_LOST_AFTER", "10s"));
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @AfterEach
    void safety() {
        bed.assertNoNonMovableReplicaDeleted();
    }

    @Test
    @Order(1)
    void replicasBecomeReadySpreadOverNodesOnTheDevicesTheKubeletChose() {
        bed.create(TestDeployments.of("resnet", "1g.6gb", 4));
        bed.awaitReady("resnet", 4, SOON);
        // each node's agent reports the device a replica got a moment after the replica is Ready; the status follows
        await().atMost(SOON)
                .until(() ->
                        bed.get("resnet").getStatus().getPlacements().stream().allMatch(p -> p.getDevice() != null));

        InferenceDeployment d = bed.get("resnet");
        assertThat(d.getStatus().getProfile()).isEqualTo("1g.6gb");
        assertThat(d.getStatus().getReplicaSummary()).isEqualTo("4/4");
        assertThat(d.getStatus().getEndpoint())
                .isEqualTo("resnet." + bed.namespace + ".svc.cluster.local:8080 (REST), :8081 (gRPC)");
        assertThat(d.getStatus().getObservedGeneration())
                .isEqualTo(d.getMetadata().getGeneration());
        List<ReplicaPlacement> placements = d.getStatus().getPlacements();
        assertThat(placements).hasSize(4).allSatisfy(p -> {
            assertThat(p.getDevice()).startsWith("MIG-");
            assertThat(p.getProfile()).isEqualTo("1g.6gb");
        });
        Map<String, List<ReplicaPlacement>> byNode =
                placements.stream().collect(Collectors.groupingBy(ReplicaPlacement::getNode));
        assertThat(byNode)
                .as("two replicas on each node")
                .hasSize(2)
                .allSatisfy((n, p) -> assertThat(p).hasSize(2));
        // Which GPU of a node a replica gets is the kubelet's choice (any free device of the resource, at random on
        // the simulator as on a real node): Quartet plans the node, and the status says which GPU each replica got.
        placements.forEach(p -> assertThat(
                        bed.sim.layoutOf(p.getNode()).get(p.getGpu()).slices())
                .as("the slice %s of GPU %d of %s", p.getDevice(), p.getGpu(), p.getNode())
                .anyMatch(s -> s.uuid().equals(p.getDevice()) && (bed.namespace + "/" + p.getPod()).equals(s.pod())));

        for (Pod pod : bed.pods("resnet")) {
            var limits = pod.getSpec().getContainers().get(0).getResources().getLimits();
            assertThat(limits).containsKey("nvidia.com/mig-1g.6gb");
            assertThat(limits.get("nvidia.com/mig-1g.6gb").getAmount()).isEqualTo("1");
            assertThat(pod.getSpec()
                            .getAffinity()
                            .getNodeAffinity()
                            .getRequiredDuringSchedulingIgnoredDuringExecution()
                            .getNodeSelectorTerms()
                            .get(0)
                            .getMatchFields()
                            .get(0)
                            .getValues())
                    .containsExactly(PodFacts.node(pod));
            assertThat(pod.getSpec().getNodeName())
                    .as("scheduled by the scheduler, not by nodeName")
                    .isNotNull();
        }
        Service svc = bed.client
                .services()
                .inNamespace(bed.namespace)
                .withName("resnet")
                .get();
        assertThat(svc.getSpec().getSelector()).containsEntry(QuartetLabels.DEPLOYMENT, "resnet");
        assertThat(svc.getSpec().getPorts())
                .extracting(p -> p.getName() + ":" + p.getPort() + "->"
                        + p.getTargetPort().getStrVal())
                .containsExactly("http:8080->http", "grpc:8081->grpc");
        assertThat(bed.client
                        .policy()
                        .v1()
                        .podDisruptionBudget()
                        .inNamespace(bed.namespace)
                        .withName("resnet")
                        .get())
                .isNotNull();
        assertThat(bed.client.v1().events().inNamespace(bed.namespace).list().getItems())
                .anyMatch(e -> "ReplicaPlaced".equals(e.getReason()));
        assertWrittenByQuartet();
    }

    /** Every object Quartet writes names it as field manager: server-side applies for what it owns outright. */
    private void assertWrittenByQuartet() {
        var policy = bed.client.policy().v1().podDisruptionBudget();
        for (HasMetadata owned : List.of(
                bed.client
                        .services()
                        .inNamespace(bed.namespace)
                        .withName("resnet")
                        .get(),
                policy.inNamespace(bed.namespace).withName("resnet").get())) {
            assertThat(owned.getMetadata().getManagedFields())
                    .as(
                            "managedFields of %s %s",
                            owned.getKind(), owned.getMetadata().getName())
                    .anyMatch(f -> "quartet".equals(f.getManager()) && "Apply".equals(f.getOperation()));
        }
        assertThat(bed.get("resnet").getMetadata().getManagedFields())
                .as("the status is applied by Quartet")
                .anyMatch(f -> "quartet".equals(f.getManager())
                        && "Apply".equals(f.getOperation())
                        && "status".equals(f.getSubresource()));
        assertThat(bed.pods("resnet"))
                .as("replica pods are created (never applied over a pod of the same name) by Quartet")
                .allSatisfy(pod -> assertThat(pod.getMetadata().getManagedFields())
                        .anyMatch(f -> "quartet".equals(f.getManager()) && "Update".equals(f.getOperation())));
    }

    @Test
    @Order(2)
    void scalesUpAndDownThroughTheScaleSubresource() {
        bed.deployments().inNamespace(bed.namespace).withName("resnet").scale(6);
        bed.awaitReady("resnet", 6, SOON);
        bed.allowDeletions("resnet");
        bed.deployments().inNamespace(bed.namespace).withName("resnet").scale(2);
        await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
            List<Pod> pods = bed.pods("resnet").stream()
                    .filter(p -> !PodFacts.isTerminating(p))
                    .toList();
            assertThat(pods).hasSize(2);
            assertThat(pods.stream().map(PodFacts::node).distinct())
                    .as("one replica left on each node")
                    .hasSize(2);
        });
        bed.awaitReady("resnet", 2, SOON);
    }

    @Test
    @Order(3)
    void invalidSpecsAreReportedAndNothingElseHappens() {
        // What the CRD's schema and CEL rules can say, the API server refuses before Quartet sees it
        // (every such spec is in src/test/resources/invalid-specs, applied by CrdValidationIT).
        InferenceDeployment unknownProfile = TestDeployments.of("bad-profile", "3g.99", 1);
        InferenceDeployment wrongModel = TestDeployments.of("bad-model", "1g.10gb", 1);
        wrongModel.getSpec().getSlice().setGpuModel(dev.quartet.model.GpuModelName.A30);
        InferenceDeployment both = TestDeployments.of("bad-both", "1g.6gb", 1);
        both.getSpec().getSlice().setMemoryGiB(5);
        InferenceDeployment negative = TestDeployments.of("negative", "1g.6gb", -1);
        InferenceDeployment ftp = TestDeployments.of("ftp", "1g.6gb", 1);
        ftp.getSpec().getModel().setUri("ftp://models/x.onnx");
        Map<InferenceDeployment, String> refused = Map.of(
                unknownProfile,
                "should match '^[1-7]g",
                wrongModel,
                "spec.slice.profile: A30 has no profile '1g.10gb'",
                both,
                "spec.slice: set exactly one of profile and memoryGiB",
                negative,
                "spec.replicas",
                ftp,
                "spec.model.uri",
                TestDeployments.of("bad.name", "1g.6gb", 1),
                "metadata.name: bad.name cannot name the deployment's Service");
        refused.forEach((d, message) -> assertThatThrownBy(() -> bed.create(d))
                .as(d.getMetadata().getName())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining(message));

        // What only the operator's validator finds (a host Java's URI parser does not take, which the rules let
        // through) is refused by Quartet's admission webhook with the validator's message. Stored while no webhook
        // answers, it is reported as InvalidSpec and nothing else happens (AdmissionIT).
        InferenceDeployment badHost = TestDeployments.of("bad-host", "1g.6gb", 1);
        badHost.getSpec().getModel().setUri("http://my_host/m.onnx");
        assertThatThrownBy(() -> bed.create(badHost))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("admission webhook \"validate.inference.quartet.dev\" denied the request")
                .hasMessageContaining("spec.model.uri: 'http://my_host/m.onnx' has no host");
        assertThat(bed.get("bad-host")).isNull();

        // A Service of the deployment's name that is not Quartet's is left alone, and the deployment says why.
        bed.client
                .services()
                .inNamespace(bed.namespace)
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("taken")
                        .endMetadata()
                        .withNewSpec()
                        .addToSelector("app", "other")
                        .addNewPort()
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        bed.create(TestDeployments.of("taken", "1g.6gb", 1));
        await().atMost(SOON)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(bed.conditionIs("taken", "Degraded", "True", "NameConflict"))
                        .isTrue());
        assertThat(bed.condition("taken", "Degraded").orElseThrow().getMessage())
                .startsWith(
                        "Service taken already exists in namespace " + bed.namespace + " and is not this deployment's");
        Service theirs = bed.client
                .services()
                .inNamespace(bed.namespace)
                .withName("taken")
                .get();
        assertThat(theirs.getSpec().getSelector()).containsExactly(Map.entry("app", "other"));
        assertThat(theirs.getMetadata().getOwnerReferences()).isEmpty();
        assertThat(bed.pods("taken")).isEmpty();

        bed.deployments().inNamespace(bed.namespace).withName("taken").delete();
        bed.client.services().inNamespace(bed.namespace).withName("taken").delete();

        // A pod that is not Quartet's holds a replica's name: the replica takes the next one.
        bed.client
                .pods()
                .inNamespace(bed.namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("clash-0")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("nowhere")
                        .addNewContainer()
                        .withName("c")
                        .withImage("busybox")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        bed.create(TestDeployments.of("clash", "1g.6gb", 1));
        bed.awaitReady("clash", 1, SOON);
        assertThat(bed.pods("clash")).extracting(p -> p.getMetadata().getName()).containsExactly("clash-1");
        assertThat(bed.client
                        .pods()
                        .inNamespace(bed.namespace)
                        .withName("clash-0")
                        .get()
                        .getMetadata()
                        .getOwnerReferences())
                .isEmpty();
        bed.allowDeletions("clash");
        bed.deployments().inNamespace(bed.namespace).withName("clash").delete();
        bed.client
                .pods()
                .inNamespace(bed.namespace)
                .withName("clash-0")
                .withGracePeriod(0)
                .delete();
    }

    @Test
    @Order(4)
    void higherPriorityWinsWhenSlicesAreShort() {
        // 32 slices, 2 used by resnet: 30 free for 10 + 30 asked. Both exist before the operator plans them.
        bed.operator.stop();
        bed.create(TestDeployments.withPriority(TestDeployments.of("batch", "1g.6gb", 30), 0));
        bed.create(TestDeployments.withPriority(TestDeployments.of("online", "1g.6gb", 10), 10));
        bed.operator.restart();
        bed.awaitReady("online", 10, SOON);
        await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
            InferenceDeployment batch = bed.get("batch");
            assertThat(batch.getStatus().getReadyReplicas()).isEqualTo(20);
            assertThat(batch.getStatus().getMissingReplicas()).isEqualTo(10);
            assertThat(bed.condition("batch", "Degraded").orElseThrow()).satisfies(c -> {
                assertThat(c.getReason()).isEqualTo("InsufficientSlices");
                assertThat(c.getMessage()).startsWith("10 of 30 replicas have no MIG slice");
            });
            assertThat(bed.condition("batch", "Ready").orElseThrow().getReason())
                    .isEqualTo("InsufficientSlices");
        });
        bed.allowDeletions("batch");
        bed.allowDeletions("online");
        bed.deployments().inNamespace(bed.namespace).withName("batch").delete();
        bed.deployments().inNamespace(bed.namespace).withName("online").delete();
    }

    @Test
    @Order(5)
    void deletingTheResourceRemovesEveryChild() {
        bed.allowDeletions("resnet");
        bed.deployments().inNamespace(bed.namespace).withName("resnet").delete();
        await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
            assertThat(bed.pods("resnet")).isEmpty();
            assertThat(bed.client
                            .services()
                            .inNamespace(bed.namespace)
                            .withName("resnet")
                            .get())
                    .isNull();
            assertThat(bed.client
                            .policy()
                            .v1()
                            .podDisruptionBudget()
                            .inNamespace(bed.namespace)
                            .withName("resnet")
                            .get())
                    .isNull();
        });
        await().atMost(SOON)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(bed.pods("batch")).isEmpty());
    }

    @Test
    @Order(6)
    void replicasOfALostNodeAreReplacedElsewhere() {
        bed.create(TestDeployments.of("edge", "1g.6gb", 2));
        bed.awaitReady("edge", 2, SOON);
        String lost = PodFacts.node(bed.pods("edge").get(0));
        bed.allowDeletions("edge");
        bed.sim.setNotReady(lost, true);
        try {
            await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
                List<Pod> ready = bed.pods("edge").stream()
                        .filter(PodFacts::isReady)
                        .filter(p -> !PodFacts.isTerminating(p))
                        .toList();
                assertThat(ready)
                        .hasSize(2)
                        .allSatisfy(p -> assertThat(PodFacts.node(p)).isNotEqualTo(lost));
            });
            bed.awaitReady("edge", 2, SOON);
        } finally {
            bed.sim.setNotReady(lost, false);
        }
    }

    @Test
    @Order(7)
    void aRestartedOperatorConvergesWithoutDuplicates() {
        bed.create(TestDeployments.of("burst", "1g.6gb", 8));
        await().atMost(SOON).until(() -> !bed.pods("burst").isEmpty());
        bed.operator.kill();
        bed.operator.restart();
        bed.awaitReady("burst", 8, SOON);
        // each node's agent reports the slice a replica got a moment after it is Ready
        await().atMost(SOON)
                .until(() -> bed.pods("burst").stream()
                        .allMatch(p -> p.getMetadata().getAnnotations() != null
                                && p.getMetadata().getAnnotations().containsKey(QuartetLabels.MIG_DEVICE)));
        List<Pod> pods = bed.pods("burst");
        assertThat(pods).hasSize(8);
        Set<String> slices = new HashSet<>();
        pods.forEach(p -> assertThat(slices.add(PodFacts.node(p) + "/"
                        + p.getMetadata().getAnnotations().get(QuartetLabels.MIG_DEVICE)))
                .as("slice of %s unique", p.getMetadata().getName())
                .isTrue());
        assertThat(bed.operator.logText()).doesNotContain("Exception in reconcile");
    }
}
