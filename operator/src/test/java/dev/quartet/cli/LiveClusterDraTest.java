package dev.quartet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.dependent.ReplicaClaimFactory;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.TestNodes;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.sim.DraResourceSlices;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeListBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimListBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceListBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl quartet layout} against fabric8's API server double: a node of NVIDIA's DRA driver shows with its
 * GPUs and the placements allocated claims hold, as the operator sees it; a cluster that does not serve
 * {@code resource.k8s.io/v1}, or a user who may not list its slices or claims, gets one note and the rest.
 */
class LiveClusterDraTest {

    static final String SLICES = "/apis/resource.k8s.io/v1/resourceslices";
    static final String CLAIMS = "/apis/resource.k8s.io/v1/resourceclaims";

    KubernetesMockServer server;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(false);
        server.init();
    }

    @AfterEach
    void stop() {
        server.destroy();
    }

    static Node draNode(String name) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withUid("uid-" + name)
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .withLastTransitionTime("2026-12-01T11:00:00Z")
                .endCondition()
                .endStatus()
                .build();
    }

    static Pod replica(String node, String name) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("ml")
                .withName(name)
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, "small")
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .endSpec()
                .build();
    }

    static ResourceClaim claim(String name, String node, String device, String replicaPod) {
        return new ResourceClaimBuilder()
                .withNewMetadata()
                .withNamespace("ml")
                .withName(name)
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, "small")
                .addToLabels(QuartetLabels.REPLICA, replicaPod)
                .endMetadata()
                .withNewStatus()
                .withAllocation(ReplicaClaimFactory.allocation(node, device, Instant.parse("2026-12-01T12:00:00Z")))
                .endStatus()
                .build();
    }

    /** A claim of someone else's, allocated a MIG device of {@code node}. */
    static ResourceClaim foreignClaim(String ns, String name, String node, String device) {
        return new ResourceClaimBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .endMetadata()
                .withNewStatus()
                .withAllocation(ReplicaClaimFactory.allocation(node, device, Instant.parse("2026-12-01T12:00:00Z")))
                .endStatus()
                .build();
    }

    /** A MIG Manager node (A30 x2, per-gpu layout) and a DRA node (A30 x2), with one replica on each. */
    void cluster() {
        server.expect()
                .get()
                .withPath("/api/v1/nodes")
                .andReturn(
                        200,
                        new NodeListBuilder()
                                .withItems(TestNodes.perGpuA30("mig-1").build(), draNode("dra-1"))
                                .build())
                .always();
        server.expect()
                .get()
                .withPath("/api/v1/pods")
                .andReturn(
                        200,
                        new PodListBuilder()
                                .withItems(replica("dra-1", "small-0"))
                                .build())
                .always();
    }

    void slices() {
        server.expect()
                .get()
                .withPath(SLICES)
                .andReturn(
                        200,
                        new ResourceSliceListBuilder()
                                .withItems(DraResourceSlices.of(
                                        "dra-1",
                                        "uid-dra-1",
                                        GpuModel.A30,
                                        2,
                                        new DraResourceSlices.Format(true, true)))
                                .build())
                .always();
    }

    static Status status(int code, String reason) {
        return new StatusBuilder()
                .withStatus("Failure")
                .withCode(code)
                .withReason(reason)
                .withMessage("resourceslices.resource.k8s.io is " + reason)
                .build();
    }

    int layout() {
        return new LayoutCommand(server::createClient)
                .run(
                        List.of(),
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aDraNodesGpusAndTheReplicaItsClaimPlacesShowInTheLayout() {
        cluster();
        slices();
        server.expect()
                .get()
                .withPath(CLAIMS)
                .andReturn(
                        200,
                        new ResourceClaimListBuilder()
                                .withItems(
                                        claim("small-0-mig", "dra-1", "gpu-0-mig-1g6gb-14-3", "small-0"),
                                        foreignClaim("other", "theirs", "dra-1", "gpu-1-mig-2g12gb-5-2"))
                                .build())
                .always();

        assertThat(layout()).isZero();

        String picture = out();
        assertThat(picture)
                .contains("dra-1  2 x A30  DRA (gpu.nvidia.com, DynamicMIG)  READY\n")
                .contains("  DRA driver: an instance per allocated ResourceClaim, at any free placement; all its"
                        + " ResourceSlices are published; 2 claim(s) hold MIG devices here\n")
                .contains("  GPU 0 |" + String.format("%-59s", " free") + "| 1g.6gb ml/small-0 |\n")
                .contains("  GPU 1 |" + String.format("%-39s", " free") + "|"
                        + String.format("%-39s", " 2g.12gb claim other/theirs") + "|\n")
                .contains("        2g.12gb at slot 2: claim other/theirs, device gpu-1-mig-2g12gb-5-2\n")
                .contains(
                        "        1g.6gb at slot 3: ml/small-0 via claim ml/small-0-mig, device gpu-0-mig-1g6gb-14-3\n")
                .contains("mig-1  2 x A30  nvidia.com/mig.config=per-gpu (success)")
                .contains("free memory slots on DRA GPUs: 5");
        assertThat(picture).doesNotContain("dra-1  2 x A30  nvidia.com/mig.config");
        assertThat(err()).doesNotContain("DRA");
    }

    @Test
    void aClusterWithoutResourceV1IsDrawnWithoutDraNodesAndOneNoteSaysWhy() {
        cluster();
        // nothing answers resource.k8s.io/v1: the API server double says 404, as a 1.33 API server would

        assertThat(layout()).isZero();

        assertThat(err().lines().filter(l -> l.contains("DRA")))
                .containsExactly("note: nodes of NVIDIA's DRA driver are not shown: the cluster does not serve"
                        + " resourceslices of resource.k8s.io/v1 (404 Not Found; Kubernetes 1.34 or later serves"
                        + " them)");
        assertThat(err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out()).contains("mig-1  2 x A30").doesNotContain("dra-1");
    }

    @Test
    void aUserWhoMayNotListSlicesGetsOneNoteAndTheRest() {
        cluster();
        server.expect()
                .get()
                .withPath(SLICES)
                .andReturn(403, status(403, "Forbidden"))
                .always();

        assertThat(layout()).isZero();

        assertThat(err().lines().filter(l -> l.contains("DRA")))
                .containsExactly("note: nodes of NVIDIA's DRA driver are not shown: you may not list resourceslices"
                        + " of resource.k8s.io cluster-wide (403 Forbidden; kubectl quartet needs list on"
                        + " resourceslices and resourceclaims)");
        assertThat(err()).doesNotContain("Exception");
        assertThat(out()).contains("mig-1  2 x A30").doesNotContain("dra-1");
    }

    @Test
    void slicesWithoutTheClaimsWouldShowTakenPlacementsFreeSoTheDraNodesAreLeftOut() {
        cluster();
        slices();
        server.expect()
                .get()
                .withPath(CLAIMS)
                .andReturn(403, status(403, "Forbidden"))
                .always();

        assertThat(layout()).isZero();

        assertThat(err().lines().filter(l -> l.contains("DRA")))
                .containsExactly("note: nodes of NVIDIA's DRA driver are not shown: you may not list resourceclaims"
                        + " of resource.k8s.io cluster-wide (403 Forbidden; kubectl quartet needs list on"
                        + " resourceslices and resourceclaims)");
        assertThat(out()).doesNotContain("dra-1");
    }

    @Test
    void withoutSlicesOfNvidiasDriverNoClaimIsRead() {
        cluster();
        server.expect()
                .get()
                .withPath(SLICES)
                .andReturn(200, new ResourceSliceListBuilder().build())
                .always();
        // a 403 on claims would be noted if they were read: nothing needs them without a DRA node
        server.expect()
                .get()
                .withPath(CLAIMS)
                .andReturn(403, status(403, "Forbidden"))
                .always();

        assertThat(layout()).isZero();

        assertThat(err()).doesNotContain("DRA");
        assertThat(out()).contains("mig-1").doesNotContain("free memory slots on DRA GPUs");
    }

    @Test
    void theBackendChoiceLeavesOutTheOtherNodesAsTheOperatorDoes() {
        cluster();
        slices();
        server.expect()
                .get()
                .withPath(CLAIMS)
                .andReturn(200, new ResourceClaimListBuilder().build())
                .always();

        int code = new LayoutCommand(server::createClient)
                .run(
                        List.of("--backend", "dra"),
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).isZero();
        assertThat(out()).contains("dra-1  2 x A30  DRA").doesNotContain("mig-1");
        // no MIG Manager node is used: its ConfigMap is not asked for in a note
        assertThat(err()).doesNotContain("ConfigMap");
    }

    static final String SMALL = """
            apiVersion: inference.quartet.dev/v1alpha1
            kind: InferenceDeployment
            metadata: {name: small, namespace: ml}
            spec:
              model: {uri: "file:///models/tiny-resnet.pt", format: torchscript, name: resnet}
              slice: {profile: 1g.6gb}
              replicas: 2
            """;

    void deployments() {
        List<InferenceDeployment> small =
                LivePlanCommand.read("-", new ByteArrayInputStream(SMALL.getBytes(StandardCharsets.UTF_8)), "ml");
        server.expect()
                .get()
                .withPath("/apis/" + InferenceDeployment.GROUP + "/" + InferenceDeployment.VERSION
                        + "/inferencedeployments")
                .andReturn(
                        200,
                        Map.of(
                                "apiVersion",
                                InferenceDeployment.GROUP + "/" + InferenceDeployment.VERSION,
                                "kind",
                                "InferenceDeploymentList",
                                "metadata",
                                Map.of(),
                                "items",
                                small))
                .always();
    }

    int planLive(List<String> more) {
        deployments();
        List<String> args = new java.util.ArrayList<>(List.of("--live", "-n", "ml"));
        args.addAll(more);
        return new PlanCommand(server::createClient)
                .run(
                        args,
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void planLivePlansTheDraNodeAsTheOperatorDoes() {
        cluster();
        slices();
        ResourceClaim held = claim("small-0-mig", "dra-1", "gpu-0-mig-1g6gb-14-3", "small-0");
        server.expect()
                .get()
                .withPath(CLAIMS)
                .andReturn(200, new ResourceClaimListBuilder().withItems(held).build())
                .always();

        assertThat(planLive(List.of("--backend", "dra"))).isZero();

        // the replica that runs keeps its claim's placement; the other is planned on the DRA node, no repartition
        assertThat(out())
                .contains("GPUs repartitioned: none")
                .contains("Replicas created: 1\n  ml/small on dra-1 GPU ")
                .contains("Replicas moved: none")
                .contains("Pending: none");
        assertThat(err()).doesNotContain("DRA");
    }

    @Test
    void planLiveWithoutResourceV1SaysTheDraNodesAreNotPlanned() {
        cluster();

        assertThat(planLive(List.of("--backend", "dra"))).isZero();

        assertThat(err().lines().filter(l -> l.contains("DRA")))
                .containsExactly("note: nodes of NVIDIA's DRA driver are not planned: the cluster does not serve"
                        + " resourceslices of resource.k8s.io/v1 (404 Not Found; Kubernetes 1.34 or later serves"
                        + " them)");
        assertThat(out()).doesNotContain("dra-1").contains("Pending: ");
    }

    @Test
    void explainKeepsTheReplicaItsClaimPlacesOnTheDraNode() {
        cluster();
        slices();
        server.expect()
                .get()
                .withPath(CLAIMS)
                .andReturn(
                        200,
                        new ResourceClaimListBuilder()
                                .withItems(claim("small-0-mig", "dra-1", "gpu-0-mig-1g6gb-14-3", "small-0"))
                                .build())
                .always();
        deployments();

        int code = new ExplainCommand(server::createClient)
                .run(
                        List.of("ml/small", "--backend", "dra"),
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).isZero();
        assertThat(out())
                .contains("runs on dra-1")
                .contains("kept where it runs")
                .contains("dra-1 GPU ");
        assertThat(err()).doesNotContain("DRA");
    }
}
