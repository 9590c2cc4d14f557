package dev.quartet.inventory;

import static dev.quartet.inventory.TestNodes.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Placement;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class InventoryBuilderTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final Duration LOST_AFTER = Duration.ofSeconds(30);
    private static final MigPartedConfig NVIDIA = MigPartedConfig.parse(TestNodes.nvidiaDefault());
    private static final String A30 = "NVIDIA-A30";
    private static final String A100_40GB = "NVIDIA-A100-SXM4-40GB";

    private static final InventoryBuilder.Owners OWNERS = new InventoryBuilder.Owners(Map.of(
            "ml/resnet", Demand.ofProfile("ml/resnet", "1g.6gb", 2, 0),
            "ml/bert", new Demand("ml/bert", "2g.12gb", null, 1, 0, null, true, Placement.SPREAD, null),
            "ml/small", new Demand("ml/small", null, 5, 1, 0, null, false, Placement.SPREAD, null)));

    /** Slices the device plugin advertises: profile, count, profile, count... */
    private static Map<String, Quantity> allocatable(Object... profileAndCount) {
        Map<String, Quantity> out = new TreeMap<>();
        out.put("cpu", new Quantity("32"));
        out.put("memory", new Quantity("256Gi"));
        for (int i = 0; i < profileAndCount.length; i += 2) {
            out.put(
                    NvidiaLabels.resourceName((String) profileAndCount[i]),
                    new Quantity(String.valueOf(profileAndCount[i + 1])));
        }
        return out;
    }

    /** Two A30s on all-1g.6gb, applied and advertised. */
    private static NodeBuilder a30Node(String name) {
        return node(name, A30, 2, "all-1g.6gb", "success", allocatable("1g.6gb", 8));
    }

    private static NodeBuilder notReadySince(NodeBuilder node, Instant since) {
        return node.editStatus()
                .withConditions()
                .addNewCondition()
                .withType("Ready")
                .withStatus("False")
                .withLastTransitionTime(since.toString())
                .endCondition()
                .endStatus();
    }

    /** A running pod of another tenant asking for one slice. */
    private static PodBuilder tenantPod(String name, String node, String resource) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("batch")
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName("main")
                .withImage("trainer")
                .withNewResources()
                .addToLimits(resource, new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .endStatus();
    }

    /** A running Quartet replica of {@code ml/<deployment>} asking for one slice of {@code profile}. */
    private static PodBuilder replica(String deployment, int ordinal, String node, String profile) {
        return tenantPod(deployment + "-" + ordinal, node, NvidiaLabels.resourceName(profile))
                .editMetadata()
                .withNamespace("ml")
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, deployment)
                .endMetadata();
    }

    /** The pod as the node agent reports it: on GPU {@code gpu}, slice {@code profile@start}. */
    private static Pod at(PodBuilder pod, int gpu, String profile, int start) {
        return pod.editMetadata()
                .addToAnnotations(
                        QuartetLabels.MIG_DEVICE,
                        "{\"gpu\":" + gpu + ",\"profile\":\"" + profile + "\",\"start\":" + start + ",\"uuid\":\"MIG-"
                                + gpu + "-" + start + "\"}")
                .endMetadata()
                .build();
    }

    private static Inventory build(List<Node> nodes, List<Pod> pods) {
        return new InventoryBuilder(true, LOST_AFTER)
                .build(new ClusterSnapshot(nodes, pods, NVIDIA, null), OWNERS, NOW);
    }

    private static Inventory build(NodeBuilder node, Pod... pods) {
        return build(List.of(node.build()), Arrays.asList(pods));
    }

    private static NodeState nodeState(Inventory inventory, String name) {
        return inventory.state().nodes().stream()
                .filter(n -> n.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    /** GPU {@code gpu}'s instances: {@code 1g.6gb@0} when free, else who holds it and for which demand. */
    private static List<String> layout(Inventory inventory, String node, int gpu) {
        GpuState g = nodeState(inventory, node).gpus().get(gpu);
        assertThat(g.index()).isEqualTo(gpu);
        return g.instances().stream().map(InventoryBuilderTest::describe).toList();
    }

    private static String describe(InstanceState s) {
        if (s.isFree()) {
            return s.instance().toString();
        }
        return s.instance() + " " + s.replica() + (s.isForeign() ? " foreign" : " for " + s.demand())
                + (s.movable() ? " movable" : "");
    }

    @Test
    void layoutsComeFromTheConfigTheNodeSelects() {
        Inventory inventory = build(a30Node("gpu-1"));

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(layout(inventory, "gpu-1", 1)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
        assertThat(inventory.takesNewPods("gpu-1")).isTrue();
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
        assertThat(inventory.notes()).isEmpty();
        assertThat(inventory.nodes().get("gpu-1").gpuCount()).isEqualTo(2);
    }

    @Test
    void allBalancedOnAnA30UsesItsDeviceFilterGroup() {
        Inventory inventory =
                build(node("gpu-1", A30, 2, "all-balanced", "success", allocatable("1g.6gb", 4, "2g.12gb", 2)));

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.12gb@0", "1g.6gb@2", "1g.6gb@3");
        assertThat(layout(inventory, "gpu-1", 1)).containsExactly("2g.12gb@0", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
    }

    @Test
    void allBalancedOnAnA100UsesItsGroupAndALegalPlacement() {
        Inventory inventory = build(node(
                "gpu-1",
                A100_40GB,
                1,
                "all-balanced",
                "success",
                allocatable("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1)));

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.10gb@0", "1g.5gb@2", "1g.5gb@3", "3g.20gb@4");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
    }

    @Test
    void aProfileNameWrittenAnotherWayInTheConfigIsTheDevicePluginsProfile() {
        MigPartedConfig config = MigPartedConfig.parse("""
                version: v1
                mig-configs:
                  long-names:
                    - devices: all
                      mig-enabled: true
                      mig-devices: {"1c.1g.6gb": 2, "2c.2g.12gb": 1}
                """);
        Node node = node("gpu-1", A30, 1, "long-names", "success", allocatable("1g.6gb", 2, "2g.12gb", 1))
                .build();

        Inventory inventory = new InventoryBuilder(true, LOST_AFTER)
                .build(new ClusterSnapshot(List.of(node), List.of(), config, null), OWNERS, NOW);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.12gb@0", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
    }

    @Test
    void aNodeWhoseDevicePluginDisagreesWithItsConfigIsSettling() {
        Inventory inventory = build(node("gpu-1", A30, 2, "all-1g.6gb", "success", allocatable("2g.12gb", 4)));

        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.SETTLING);
        assertThat(inventory.takesNewPods("gpu-1")).isFalse();
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.notes().get("gpu-1")).contains("all-1g.6gb");
    }

    @Test
    void aNodeMigManagerIsWorkingOnIsRepartitioning() {
        for (String state : List.of("pending", "rebooting")) {
            Inventory inventory = build(node("gpu-1", A30, 2, "all-1g.6gb", state, allocatable("2g.12gb", 4)));

            assertThat(inventory.readiness()).as(state).containsEntry("gpu-1", NodeReadiness.REPARTITIONING);
            assertThat(nodeState(inventory, "gpu-1").layoutFixed()).as(state).isTrue();
            assertThat(inventory.takesNewPods("gpu-1")).as(state).isFalse();
        }
    }

    @Test
    void aNodeWhereMigManagerFailedIsFailed() {
        Inventory inventory = build(node("gpu-1", A30, 2, "all-1g.6gb", "failed", allocatable("2g.12gb", 4)));

        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.FAILED);
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
    }

    @Test
    void withoutAConfigTheAllocatableIsSplitEvenlyOverTheGpus() {
        Inventory unlabelled = build(node("gpu-1", A30, 2, null, null, allocatable("1g.6gb", 4, "2g.12gb", 2)));
        Inventory unknownName = build(
                node("gpu-1", A30, 2, "custom-from-elsewhere", "success", allocatable("1g.6gb", 4, "2g.12gb", 2)));

        for (Inventory inventory : List.of(unlabelled, unknownName)) {
            assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.12gb@0", "1g.6gb@2", "1g.6gb@3");
            assertThat(layout(inventory, "gpu-1", 1)).containsExactly("2g.12gb@0", "1g.6gb@2", "1g.6gb@3");
            assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
            // The split is a guess (4 x 1g on GPU 0 and 2 x 2g on GPU 1 look the same): a config written from it
            // would change GPUs the plan leaves alone, so the node keeps its layout.
            assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
            assertThat(inventory.notes().get("gpu-1")).contains("guessed");
        }
    }

    @Test
    void aGuessedLayoutIsExactOnOneGpuOrWithoutSlices() {
        Inventory oneGpu = build(
                node("gpu-1", A30, 1, "custom-from-elsewhere", "success", allocatable("1g.6gb", 2, "2g.12gb", 1)));
        Inventory noSlices = build(node("gpu-1", A30, 2, null, null, allocatable()));

        for (Inventory inventory : List.of(oneGpu, noSlices)) {
            assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
            assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
        }
    }

    @Test
    void slicesThatDoNotSplitEvenlyLeaveTheLayoutUnknown() {
        Inventory inventory = build(node("gpu-1", A30, 2, null, null, allocatable("1g.6gb", 3)));

        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.UNKNOWN_LAYOUT);
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(nodeState(inventory, "gpu-1").gpus())
                .hasSize(2)
                .allSatisfy(g -> assertThat(g.instances()).isEmpty());
    }

    @Test
    void reportedSlicesArePlacedWhereTheyAre() {
        Pod bert = at(replica("bert", 0, "gpu-1", "2g.12gb"), 1, "2g.12gb", 2);
        Pod resnet = at(replica("resnet", 0, "gpu-1", "1g.6gb"), 0, "1g.6gb", 3);

        Inventory inventory = build(
                node("gpu-1", A30, 2, "all-balanced", "success", allocatable("1g.6gb", 4, "2g.12gb", 2)), bert, resnet);

        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly("2g.12gb@0", "1g.6gb@2", "1g.6gb@3 ml/resnet-0 for ml/resnet");
        assertThat(layout(inventory, "gpu-1", 1))
                .containsExactly("1g.6gb@0", "1g.6gb@1", "2g.12gb@2 ml/bert-0 for ml/bert movable");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
    }

    @Test
    void aReportedSliceTheConfigCannotHoldKeepsTheLayoutAsReported() {
        Pod bert = at(replica("bert", 0, "gpu-1", "2g.12gb"), 0, "2g.12gb", 0);

        Inventory inventory = build(a30Node("gpu-1"), bert);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.12gb@0 ml/bert-0 for ml/bert movable");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1")).contains("GPU 0");
    }

    @Test
    void aPodWhoseSliceIsNotReportedHoldsAFreeInstanceAndFixesEveryGpuThatMayHoldIt() {
        Pod resnet = replica("resnet", 0, "gpu-1", "1g.6gb").build();

        Inventory inventory = build(a30Node("gpu-1"), resnet);

        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly("1g.6gb@0 ml/resnet-0 for ml/resnet", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(layout(inventory, "gpu-1", 1)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(nodeState(inventory, "gpu-1").gpus()).allMatch(GpuState::layoutFixed);
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
        assertThat(inventory.notes().get("gpu-1")).contains("ml/resnet-0").contains("GPU(s) [0, 1]");
    }

    private static final MigPartedConfig PER_GPU =
            MigPartedConfig.parse("version: v1\nmig-configs:\n" + TestNodes.PER_GPU_ENTRY);

    private static Inventory perGpuNode(Pod... pods) {
        Node node = TestNodes.perGpuA30("gpu-1").build();
        return new InventoryBuilder(true, LOST_AFTER)
                .build(new ClusterSnapshot(List.of(node), Arrays.asList(pods), PER_GPU, null), OWNERS, NOW);
    }

    @Test
    void aGpuWithoutAnInstanceOfTheUnreportedPodsProfileMayStillBeRepartitioned() {
        Inventory inventory = perGpuNode(replica("resnet", 0, "gpu-1", "1g.6gb").build());

        NodeState node = nodeState(inventory, "gpu-1");
        assertThat(node.layoutFixed()).isFalse();
        assertThat(node.gpus()).extracting(GpuState::layoutFixed).containsExactly(true, false);
        assertThat(inventory.notes().get("gpu-1")).contains("GPU(s) [0]");

        Plan plan = new MigPlanner()
                .plan(
                        inventory.state(),
                        List.of(new Demand("ml/bert", "2g.12gb", null, 2, 0, null, true, Placement.SPREAD, null)));

        assertThat(plan.gpus())
                .filteredOn(GpuPlan::repartition)
                .extracting(GpuPlan::index)
                .containsExactly(1);
        assertThat(plan.unsatisfied()).isEmpty();
    }

    @Test
    void anUnreportedPodNoFreeInstanceAccountsForFixesTheNode() {
        Inventory inventory = perGpuNode(replica("bert", 0, "gpu-1", "2g.12gb").build());

        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1")).contains("ml/bert-0").contains("no free 2g.12gb");
    }

    @Test
    void anUnreportedPodHoldsAnInstanceOfItsOwnProfile() {
        Pod bert = replica("bert", 0, "gpu-1", "2g.12gb").build();

        Inventory inventory =
                build(node("gpu-1", A30, 2, "all-balanced", "success", allocatable("1g.6gb", 4, "2g.12gb", 2)), bert);

        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly("2g.12gb@0 ml/bert-0 for ml/bert movable", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void anotherTenantsGpuPodFixesANodeQuartetNeverConfigured() {
        Pod trainer = at(tenantPod("trainer", "gpu-1", "nvidia.com/mig-1g.6gb"), 1, "1g.6gb", 2);

        Inventory inventory = build(a30Node("gpu-1"), trainer);

        assertThat(layout(inventory, "gpu-1", 1))
                .containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2 batch/trainer foreign", "1g.6gb@3");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1")).contains("not adopted");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
    }

    @Test
    void aWholeGpuPodOfAnotherTenantAlsoFixesANodeQuartetNeverConfigured() {
        Pod trainer = tenantPod("trainer", "gpu-1", "nvidia.com/gpu").build();

        Inventory inventory = build(a30Node("gpu-1"), trainer);

        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1")).contains("not adopted");
        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void anUnreportedPodOfAnotherTenantHoldsAFreeInstanceAsForeign() {
        Pod trainer = tenantPod("trainer", "gpu-1", "nvidia.com/mig-1g.6gb").build();

        Inventory inventory = build(a30Node("gpu-1"), trainer);

        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly("1g.6gb@0 batch/trainer foreign", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
    }

    @Test
    void anotherTenantsReportedPodOnANodeQuartetConfiguredIsForeignButDoesNotFixIt() {
        Pod trainer = at(tenantPod("trainer", "gpu-1", "nvidia.com/mig-1g.6gb"), 1, "1g.6gb", 2);
        NodeBuilder adopted = a30Node("gpu-1")
                .editMetadata()
                .addToAnnotations(QuartetLabels.NODE_CONFIG, "all-1g.6gb")
                .endMetadata();

        Inventory inventory = build(adopted, trainer);

        assertThat(layout(inventory, "gpu-1", 1))
                .containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2 batch/trainer foreign", "1g.6gb@3");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
    }

    @Test
    void quartetPodsOfUnknownDeploymentsOrAnotherProfileAreForeign() {
        Pod deleted = at(replica("deleted", 0, "gpu-1", "1g.6gb"), 0, "1g.6gb", 0);
        Pod oldProfile = at(replica("resnet", 1, "gpu-1", "2g.12gb"), 1, "2g.12gb", 0);
        Pod current = at(replica("resnet", 0, "gpu-1", "1g.6gb"), 0, "1g.6gb", 1);
        Pod bySize = at(replica("small", 0, "gpu-1", "1g.6gb"), 1, "1g.6gb", 2);
        NodeBuilder balanced = node("gpu-1", A30, 2, "all-balanced", "success", allocatable("1g.6gb", 4, "2g.12gb", 2));

        Inventory inventory = build(balanced, deleted, oldProfile, current, bySize);

        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly("1g.6gb@0 ml/deleted-0 foreign", "1g.6gb@1 ml/resnet-0 for ml/resnet", "2g.12gb@2");
        assertThat(layout(inventory, "gpu-1", 1))
                .containsExactly("2g.12gb@0 ml/resnet-1 foreign", "1g.6gb@2 ml/small-0 for ml/small", "1g.6gb@3");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
    }

    @Test
    void aNodeNotReadyForLessThanTheGraceIsKeptWithoutFreeInstances() {
        Pod resnet = at(replica("resnet", 0, "gpu-1", "1g.6gb"), 0, "1g.6gb", 1);
        NodeBuilder node = notReadySince(a30Node("gpu-1"), NOW.minusSeconds(29));

        Inventory inventory = build(node, resnet);

        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.NOT_READY);
        assertThat(inventory.lostNodes()).isEmpty();
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly(
                        "1g.6gb@0 unavailable/gpu-1/0@0 foreign",
                        "1g.6gb@1 ml/resnet-0 for ml/resnet",
                        "1g.6gb@2 unavailable/gpu-1/0@2 foreign",
                        "1g.6gb@3 unavailable/gpu-1/0@3 foreign");
        assertThat(nodeState(inventory, "gpu-1").gpus())
                .flatMap(GpuState::instances)
                .noneMatch(InstanceState::isFree);
        assertThat(new MigPlanner()
                        .plan(
                                inventory.state(),
                                List.of(new Demand(
                                        "ml/resnet", "1g.6gb", null, 1, 0, null, false, Placement.SPREAD, null)))
                        .assignments())
                .hasSize(1);
    }

    @Test
    void whenANodeNotReadyWillCountAsLostIsKnownSoItsReplicasAreReplacedThen() {
        // a dead kubelet writes nothing more: the moment its node counts as lost has to be looked for
        NodeBuilder dying =
                notReadySince(a30Node("gpu-1"), NOW.minus(LOST_AFTER).plusSeconds(7));
        NodeBuilder dead = notReadySince(a30Node("gpu-2"), NOW.minus(LOST_AFTER));

        Inventory inventory =
                build(List.of(dying.build(), dead.build(), a30Node("gpu-3").build()), List.of());

        assertThat(inventory.lostNodes()).containsExactly("gpu-2");
        assertThat(inventory.untilNextNodeLost(LOST_AFTER, NOW)).contains(Duration.ofSeconds(7));
        assertThat(build(List.of(a30Node("gpu-3").build()), List.of()).untilNextNodeLost(LOST_AFTER, NOW))
                .isEmpty();
    }

    @Test
    void aNodeNotReadyForTheGraceIsLost() {
        Pod resnet = at(replica("resnet", 0, "gpu-1", "1g.6gb"), 0, "1g.6gb", 1);
        NodeBuilder node = notReadySince(a30Node("gpu-1"), NOW.minus(LOST_AFTER));

        Inventory inventory = build(List.of(node.build(), a30Node("gpu-2").build()), List.of(resnet));

        assertThat(inventory.lostNodes()).containsExactly("gpu-1");
        assertThat(inventory.state().nodes()).extracting(NodeState::name).containsExactly("gpu-2");
        assertThat(inventory.readiness()).containsOnlyKeys("gpu-2");
        assertThat(inventory.nodes()).containsKeys("gpu-1", "gpu-2");
        assertThat(inventory.takesNewPods("gpu-1")).isFalse();
    }

    @Test
    void aCordonedNodeOffersNoFreeInstances() {
        Pod resnet = at(replica("resnet", 0, "gpu-1", "1g.6gb"), 1, "1g.6gb", 0);
        NodeBuilder cordoned =
                a30Node("gpu-1").editSpec().withUnschedulable(true).endSpec();

        Inventory inventory = build(cordoned, resnet);

        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.CORDONED);
        assertThat(inventory.takesNewPods("gpu-1")).isFalse();
        assertThat(nodeState(inventory, "gpu-1").gpus())
                .flatMap(GpuState::instances)
                .filteredOn(InstanceState::isFree)
                .isEmpty();
        assertThat(layout(inventory, "gpu-1", 1)).first().isEqualTo("1g.6gb@0 ml/resnet-0 for ml/resnet");
        Plan plan = new MigPlanner()
                .plan(
                        inventory.state(),
                        List.of(new Demand("ml/resnet", "1g.6gb", null, 2, 0, null, false, Placement.SPREAD, null)));
        assertThat(plan.assignments())
                .singleElement()
                .extracting(a -> a.replica())
                .isEqualTo("ml/resnet-0");
        assertThat(plan.unsatisfied())
                .singleElement()
                .extracting(u -> u.missing())
                .isEqualTo(1);
    }

    @Test
    void terminatingAndFinishedPodsLeaveTheirSlicesFree() {
        Pod leaving = at(
                replica("resnet", 0, "gpu-1", "1g.6gb")
                        .editMetadata()
                        .withDeletionTimestamp("2024-05-01T11:59:30Z")
                        .endMetadata(),
                0,
                "1g.6gb",
                0);
        Pod done = at(
                tenantPod("job", "gpu-1", "nvidia.com/mig-1g.6gb")
                        .editStatus()
                        .withPhase("Succeeded")
                        .endStatus(),
                0,
                "1g.6gb",
                1);

        Inventory inventory = build(a30Node("gpu-1"), leaving, done);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
    }

    @Test
    void podsOnOtherNodesDoNotCount() {
        Pod elsewhere = at(replica("resnet", 0, "gpu-2", "1g.6gb"), 0, "1g.6gb", 0);

        Inventory inventory = build(a30Node("gpu-1"), elsewhere);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void withRepartitioningDisabledEveryLayoutIsFixed() {
        Inventory inventory = new InventoryBuilder(false, LOST_AFTER)
                .build(new ClusterSnapshot(List.of(a30Node("gpu-1").build()), List.of(), NVIDIA, null), OWNERS, NOW);

        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.takesNewPods("gpu-1")).isTrue();
    }

    @Test
    void aNodeInItsBackOffAfterAFailureIsFixedUntilItEnds() {
        String failure = "{\"config\":\"quartet-0a1b2c3d4e\",\"reason\":\"MigManagerTimeout\","
                + "\"at\":\"2024-05-01T11:50:00Z\",\"retryAfter\":\"2024-05-01T12:05:00Z\"}";
        NodeBuilder node = a30Node("gpu-1")
                .editMetadata()
                .addToAnnotations(QuartetLabels.NODE_CONFIG, "all-1g.6gb")
                .addToAnnotations(QuartetLabels.NODE_LAST_FAILURE, failure)
                .endMetadata();

        Inventory during = build(node);
        Inventory after = new InventoryBuilder(true, LOST_AFTER)
                .build(
                        new ClusterSnapshot(List.of(node.build()), List.of(), NVIDIA, null),
                        OWNERS,
                        Instant.parse("2024-05-01T12:05:00Z"));

        assertThat(nodeState(during, "gpu-1").layoutFixed()).isTrue();
        assertThat(during.notes().get("gpu-1")).contains("2024-05-01T12:05:00Z");
        assertThat(during.takesNewPods("gpu-1")).isTrue();
        assertThat(nodeState(after, "gpu-1").layoutFixed()).isFalse();
    }

    @Test
    void nodesThatAreNoMixedStrategyMigNodesOfAKnownModelAreLeftOut() {
        Node single = a30Node("single")
                .editMetadata()
                .addToLabels(NvidiaLabels.MIG_STRATEGY, "single")
                .endMetadata()
                .build();
        Node notCapable = a30Node("off")
                .editMetadata()
                .addToLabels(NvidiaLabels.MIG_CAPABLE, "false")
                .endMetadata()
                .build();
        Node t4 = a30Node("t4")
                .editMetadata()
                .addToLabels(NvidiaLabels.GPU_PRODUCT, "Tesla-T4")
                .endMetadata()
                .build();
        Node cpu = new NodeBuilder()
                .withNewMetadata()
                .withName("cpu")
                .endMetadata()
                .build();

        Inventory inventory =
                build(List.of(single, notCapable, t4, cpu, a30Node("gpu-1").build()), List.of());

        assertThat(inventory.nodes()).containsOnlyKeys("gpu-1");
        assertThat(inventory.state().nodes()).extracting(NodeState::name).containsExactly("gpu-1");
    }

    /** Two A30s with MIG mode off (NVIDIA's all-disabled), as the mixed-strategy device plugin advertises them. */
    private static NodeBuilder migOffNode(String name, String config) {
        Map<String, Quantity> allocatable = allocatable();
        allocatable.put(NvidiaLabels.FULL_GPU_RESOURCE, new Quantity("2"));
        return node(name, A30, 2, config, "success", allocatable);
    }

    @Test
    void aGpuWithMigOffIsNotCapacity() {
        Inventory inventory = build(migOffNode("gpu-1", "all-disabled"));

        assertThat(inventory.state().nodes().get(0).gpus()).isEmpty();
        assertThat(inventory.migOff("gpu-1")).containsExactly(0, 1);
        assertThat(inventory.migOffUnused().get("gpu-1"))
                .isEqualTo("GPU(s) [0, 1] of gpu-1 have MIG mode off; Quartet changes MIG mode only when the chart"
                        + " value migManager.allowMigModeChange is true (a mode change resets the GPU and may reboot"
                        + " the node)");
        assertThat(inventory.takesNewPods("gpu-1")).isTrue();
        Plan plan = new MigPlanner().plan(inventory.state(), List.of(Demand.ofProfile("ml/resnet", "1g.6gb", 2, 0)));
        assertThat(plan.assignments()).isEmpty();
        assertThat(plan.gpus()).isEmpty();
    }

    @Test
    void migModeOffIsReadFromTheAllocatableWhenTheConfigIsUnknown() {
        Inventory inventory = build(migOffNode("gpu-1", "not-in-the-configmap"));

        assertThat(inventory.migOff("gpu-1")).containsExactly(0, 1);
        assertThat(inventory.state().nodes().get(0).gpus()).isEmpty();
    }

    @Test
    void whichGpusHaveMigOffCannotBeToldFromTheAllocatableAlone() {
        Map<String, Quantity> allocatable = allocatable("1g.6gb", 4);
        allocatable.put(NvidiaLabels.FULL_GPU_RESOURCE, new Quantity("1"));

        Inventory inventory = build(node("gpu-1", A30, 2, "not-in-the-configmap", "success", allocatable));

        assertThat(inventory.readiness().get("gpu-1")).isEqualTo(NodeReadiness.UNKNOWN_LAYOUT);
        assertThat(inventory.state().nodes().get(0).layoutFixed()).isTrue();
    }

    @Test
    void whenAllowedAGpuWithMigOffIsOfferedOnlyWhereEveryPodMayMove() {
        InventoryBuilder allowing = new InventoryBuilder(true, true, LOST_AFTER);
        MigPartedConfig halfOff = MigPartedConfig.parse(TestNodes.nvidiaDefault() + """

                  half-off:
                    - devices: [0]
                      mig-enabled: true
                      mig-devices:
                        "2g.12gb": 2
                    - devices: [1]
                      mig-enabled: false
                """);
        Map<String, Quantity> allocatable = allocatable("2g.12gb", 2);
        allocatable.put(NvidiaLabels.FULL_GPU_RESOURCE, new Quantity("1"));
        Node node = node("gpu-1", A30, 2, "half-off", "success", allocatable).build();

        Inventory movable = allowing.build(
                new ClusterSnapshot(
                        List.of(node),
                        List.of(at(replica("bert", 0, "gpu-1", "2g.12gb"), 0, "2g.12gb", 0)),
                        halfOff,
                        null),
                OWNERS,
                NOW);
        Inventory fixed = allowing.build(
                new ClusterSnapshot(
                        List.of(node),
                        List.of(
                                at(replica("bert", 0, "gpu-1", "2g.12gb"), 0, "2g.12gb", 0),
                                at(
                                        tenantPod("trainer", "gpu-1", NvidiaLabels.resourceName("2g.12gb")),
                                        0,
                                        "2g.12gb",
                                        2)),
                        halfOff,
                        null),
                OWNERS,
                NOW);

        assertThat(movable.state().nodes().get(0).gpus())
                .extracting(GpuState::index, g -> g.instances().size())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 2), org.assertj.core.groups.Tuple.tuple(1, 0));
        assertThat(movable.migOffUnused()).isEmpty();
        assertThat(fixed.state().nodes().get(0).gpus())
                .extracting(GpuState::index)
                .containsExactly(0);
        assertThat(fixed.migOffUnused().get("gpu-1"))
                .isEqualTo("GPU(s) [1] of gpu-1 have MIG mode off; turning MIG on restarts every pod on the node, and"
                        + " pod batch/trainer may not be moved");
    }

    // Nodes with Quartet's node agent (quartet.dev/mig-layout, issue 16).

    /** Two A30s whose config says all-1g.6gb, whose agent reports GPU 1 as 1g.6gb@0, 1g.6gb@1, 2g.12gb@2. */
    private static NodeBuilder agentNode(String name) {
        return TestNodes.withAgent(
                node(name, A30, 2, "all-1g.6gb", "success", allocatable("1g.6gb", 6, "2g.12gb", 1)),
                TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "1g.6gb@0 1g.6gb@1 2g.12gb@2"));
    }

    private static final AgentReports AGENT_PODS = AgentReports.parse(
            "agent-pods",
            "app.kubernetes.io/instance=quartet,app.kubernetes.io/component=node-agent",
            "quartet-system");

    /** A pod of the chart's agent on {@code node}. */
    private static Pod agentPod(String node, String namespace, boolean ready, boolean terminating) {
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                .withName("quartet-node-agent-" + node)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/instance", "quartet")
                .addToLabels("app.kubernetes.io/component", "node-agent")
                .addToLabels("app.kubernetes.io/name", "quartet")
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .endStatus();
        if (terminating) {
            pod.editMetadata().withDeletionTimestamp("2026-12-07T09:00:00Z").endMetadata();
        }
        return pod.build();
    }

    private static boolean agentTaken(AgentReports reports, Pod... pods) {
        List<GpuNode> nodes = new InventoryBuilder(true, false, LOST_AFTER, NodeBackend.Choice.AUTO, reports)
                .gpuNodes(new ClusterSnapshot(List.of(agentNode("gpu-1").build()), Arrays.asList(pods), NVIDIA, null));
        assertThat(nodes).hasSize(1);
        return AgentReport.of(nodes.get(0)).present();
    }

    @Test
    void withTheChartsAgentANodesReportIsTakenOnlyWhileAReadyAgentPodRunsThere() {
        assertThat(agentTaken(AGENT_PODS, agentPod("gpu-1", "quartet-system", true, false)))
                .isTrue();
        // the agent's annotations stay on the node after it is gone: without a Ready agent pod, no agent
        assertThat(agentTaken(AGENT_PODS)).isFalse();
        assertThat(agentTaken(AGENT_PODS, agentPod("gpu-1", "quartet-system", false, false)))
                .isFalse();
        assertThat(agentTaken(AGENT_PODS, agentPod("gpu-1", "quartet-system", true, true)))
                .isFalse();
        assertThat(agentTaken(AGENT_PODS, agentPod("gpu-2", "quartet-system", true, false)))
                .isFalse();
        // a pod with the agent's labels in another namespace is not the chart's agent
        assertThat(agentTaken(AGENT_PODS, agentPod("gpu-1", "default", true, false)))
                .isFalse();

        // off: no node's report; annotations (the default outside the chart): every node's as written
        assertThat(agentTaken(AgentReports.parse("off", "", ""), agentPod("gpu-1", "quartet-system", true, false)))
                .isFalse();
        assertThat(agentTaken(AgentReports.ANNOTATIONS)).isTrue();
    }

    @Test
    void anUnknownGpusNodeWhoseAgentIsGoneIsLeftOutAndItsNoteSaysThereIsNoReport() {
        Inventory inventory = new InventoryBuilder(true, false, LOST_AFTER, NodeBackend.Choice.AUTO, AGENT_PODS)
                .build(
                        new ClusterSnapshot(List.of(TestNodes.h200Node("h200-1", true)), List.of(), NVIDIA, null),
                        OWNERS,
                        NOW);

        assertThat(inventory.nodes()).doesNotContainKey("h200-1");
        assertThat(inventory.notes().get("h200-1"))
                .isEqualTo("GPU product NVIDIA-H200 is not one of Quartet's models (A30, A100-40GB, A100-80GB,"
                        + " H100-80GB) and the node has no node agent report to describe it; the node is not planned");
    }

    @Test
    void aMisconfiguredAgentReportsSettingIsRefusedWithWhatIsLegal() {
        assertThatThrownBy(() -> AgentReports.parse("pods", "", ""))
                .hasMessage("quartet.node-agent.reports takes annotations, agent-pods or off (got 'pods')");
        assertThatThrownBy(() -> AgentReports.parse("agent-pods", "component", ""))
                .hasMessageContaining("quartet.node-agent.pod-selector takes key=value pairs");
        assertThatThrownBy(() -> AgentReports.parse("agent-pods", " ", ""))
                .hasMessageContaining("needs quartet.node-agent.pod-selector");
    }

    @Test
    void theAgentsLayoutIsTheNodesLayoutWithItsExactPlacements() {
        Inventory inventory = build(agentNode("gpu-1"));

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        // mig-parted's creation order would put the 2g.12gb at 0: the agent's NVML says where it is.
        assertThat(layout(inventory, "gpu-1", 1)).containsExactly("1g.6gb@0", "1g.6gb@1", "2g.12gb@2");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isFalse();
        assertThat(inventory.notes()).isEmpty();
    }

    @Test
    void aNodeWhoseDevicePluginDoesNotAdvertiseWhatTheAgentReportsIsSettling() {
        Inventory inventory = build(TestNodes.withAgent(
                a30Node("gpu-1"),
                TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "1g.6gb@0 1g.6gb@1 2g.12gb@2")));

        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.SETTLING);
        assertThat(inventory.notes().get("gpu-1")).contains("node agent reports");
    }

    @Test
    void theAgentsMigModeIsTheGpusMigMode() {
        Inventory inventory = build(TestNodes.withAgent(
                node("gpu-1", A30, 2, "all-1g.6gb", "success", allocatable("1g.6gb", 4)),
                TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "off")));

        assertThat(inventory.migOff("gpu-1")).containsExactly(1);
        assertThat(nodeState(inventory, "gpu-1").gpus())
                .extracting(GpuState::index)
                .containsExactly(0);
    }

    @Test
    void aPodTheAgentHasNotReportedYetIsAShortWaitNotAPessimisticPin() {
        Pod resnet = replica("resnet", 0, "gpu-1", "1g.6gb").build();

        Inventory inventory = build(agentNode("gpu-1"), resnet);

        assertThat(layout(inventory, "gpu-1", 0))
                .containsExactly("1g.6gb@0 ml/resnet-0 for ml/resnet", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.notes().get("gpu-1"))
                .contains("the node agent has not reported the MIG device of pod ml/resnet-0 yet")
                .doesNotContain("pessimistically");
        assertThat(inventory.pessimisticPods()).isEmpty();
        assertThat(inventory.pessimisticNotes(List.of(resnet), 3)).isEmpty();
    }

    @Test
    void aPodOnANodeWithoutAnAgentIsPinnedPessimisticallyAndItsDeploymentIsTold() {
        Pod resnet = replica("resnet", 0, "gpu-1", "1g.6gb").build();
        Pod other = at(replica("resnet", 1, "gpu-1", "1g.6gb"), 1, "1g.6gb", 0);

        Inventory inventory = build(a30Node("gpu-1"), resnet, other);

        assertThat(inventory.pessimisticPods()).containsOnlyKeys("ml/resnet-0");
        assertThat(inventory.pessimisticNotes(List.of(resnet, other), 3))
                .containsExactly("node gpu-1 runs no Quartet node agent: the MIG device of pod ml/resnet-0 is not"
                        + " known, so GPU(s) [0, 1] (with 1g.6gb instances) are pinned pessimistically");
    }

    @Test
    void aMalformedLayoutIsANodeWithoutAnAgentAndSaysSo() {
        NodeBuilder broken = TestNodes.withAgent(a30Node("gpu-1"), "{\"gpus\": [ {\"index\": ");
        Pod resnet = replica("resnet", 0, "gpu-1", "1g.6gb").build();

        Inventory quiet = build(broken);
        Inventory inventory = build(broken, resnet);

        assertThat(quiet.notes().get("gpu-1")).contains("quartet.dev/mig-layout of node gpu-1 is malformed");
        assertThat(layout(quiet, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.pessimisticPods().get("ml/resnet-0"))
                .startsWith("node gpu-1 runs no Quartet node agent (quartet.dev/mig-layout of node gpu-1 is malformed")
                .endsWith("pinned pessimistically");
    }

    @Test
    void aLayoutMissingAGpuOfTheNodeIsNotUsed() {
        Inventory inventory =
                build(TestNodes.withAgent(a30Node("gpu-1"), TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2")));

        assertThat(inventory.notes().get("gpu-1")).contains("does not report GPU 1");
        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.READY);
    }

    @Test
    void aPodReportingASliceTheAgentDoesNotListKeepsTheNodesLayout() {
        Pod resnet = at(replica("resnet", 0, "gpu-1", "1g.6gb"), 1, "1g.6gb", 3);

        Inventory inventory = build(agentNode("gpu-1"), resnet);

        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1")).contains("GPU 1").contains("node agent reports");
    }

    @Test
    void anotherTenantsReportedPodPinsExactlyItsInstanceOnAnAgentNode() {
        Pod trainer = at(tenantPod("trainer", "gpu-1", "nvidia.com/mig-2g.12gb"), 1, "2g.12gb", 2);
        NodeBuilder adopted = agentNode("gpu-1")
                .editMetadata()
                .addToAnnotations(QuartetLabels.NODE_CONFIG, "all-1g.6gb")
                .endMetadata();

        Inventory inventory = build(adopted, trainer);

        assertThat(layout(inventory, "gpu-1", 1))
                .containsExactly("1g.6gb@0", "1g.6gb@1", "2g.12gb@2 batch/trainer foreign");
        NodeState node = nodeState(inventory, "gpu-1");
        assertThat(node.layoutFixed()).isFalse();
        assertThat(node.gpus()).noneMatch(GpuState::layoutFixed);
        assertThat(inventory.pessimisticPods()).isEmpty();

        // The foreign pod pins exactly its GPU: GPU 0 is repartitioned for two 2g.12gb, GPU 1 keeps its layout.
        Plan plan = new MigPlanner()
                .plan(
                        inventory.state(),
                        List.of(new Demand("ml/bert", "2g.12gb", null, 2, 0, null, true, Placement.SPREAD, null)));
        assertThat(plan.unsatisfied()).isEmpty();
        assertThat(plan.gpus())
                .filteredOn(GpuPlan::repartition)
                .extracting(GpuPlan::index)
                .containsExactly(0);
    }

    @Test
    void anInstanceOfAProfileQuartetsTableLacksKeepsTheNodesLayout() {
        String layout = TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "1g.6gb@0 1g.6gb@1 2g.12gb@2")
                .replace("\"2g.12gb\"", "\"2g.12gb+gfx\"");

        Inventory inventory = build(
                TestNodes.withAgent(node("gpu-1", A30, 2, "all-1g.6gb", "success", allocatable("1g.6gb", 6)), layout));

        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1"))
                .isEqualTo("GPU 1: the node agent reports an instance at 2 of profile 2g.12gb+gfx, which Quartet's"
                        + " table of A30 lacks: the node keeps its layout");
        assertThat(layout(inventory, "gpu-1", 1)).containsExactly("1g.6gb@0", "1g.6gb@1");
    }

    @Test
    void aPendingMigModeChangeKeepsTheNodesLayoutUntilTheReset() {
        String layout = TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "off")
                .replaceFirst("(\"index\":1,[^}]*\"migPendingEnabled\":)false", "$1true");

        Inventory inventory = build(
                TestNodes.withAgent(node("gpu-1", A30, 2, "all-1g.6gb", "success", allocatable("1g.6gb", 4)), layout));

        assertThat(inventory.migOff("gpu-1")).containsExactly(1);
        assertThat(nodeState(inventory, "gpu-1").layoutFixed()).isTrue();
        assertThat(inventory.notes().get("gpu-1")).contains("GPU 1: the node agent reports MIG mode turning on");
    }
    /**
     * A node with an agent where MIG Manager applies all-2g.12gb (Quartet selected it); the agent still reports the
     * GPUs as they were (all-1g.6gb), as NVML shows them until mig-parted has changed them.
     */
    private static NodeBuilder agentNodeApplying(String state) {
        return TestNodes.withAgent(
                        node("gpu-1", A30, 2, "all-2g.12gb", state, allocatable("1g.6gb", 8)),
                        TestNodes.agentLayout(
                                "1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3"))
                .editMetadata()
                .addToAnnotations(QuartetLabels.NODE_CONFIG, "all-2g.12gb")
                .addToAnnotations(
                        QuartetLabels.NODE_CONFIG_REQUESTED_AT,
                        NOW.minusSeconds(5).toString())
                .endMetadata();
    }

    @Test
    void aNodeMigManagerIsRepartitioningIsPlannedWithTheConfigItIsHeadingTo() {
        // The replicas planned on the new slices stay planned there, so the node loop knows whom a failure concerns.
        Inventory inventory = build(agentNodeApplying("pending"));

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.12gb@0", "2g.12gb@2");
        assertThat(layout(inventory, "gpu-1", 1)).containsExactly("2g.12gb@0", "2g.12gb@2");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.REPARTITIONING);
    }

    @Test
    void aSuccessIsPlannedWithTheConfigUntilQuartetHasCheckedItsLayout() {
        // MIG Manager reported success; the agent has not written the new layout yet (about a second later).
        NodeBuilder checking = agentNodeApplying("success")
                .editMetadata()
                .addToAnnotations(QuartetLabels.NODE_LAYOUT_CHECK, NOW.toString())
                .endMetadata();
        NodeBuilder checked = agentNodeApplying("success");

        assertThat(layout(build(checking), "gpu-1", 0)).containsExactly("2g.12gb@0", "2g.12gb@2");
        assertThat(layout(build(checked), "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void aFailureQuartetHasNotRecordedYetIsPlannedWithTheFailedConfigUntilTheRollback() {
        Inventory inventory = build(agentNodeApplying("failed"));

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("2g.12gb@0", "2g.12gb@2");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.FAILED);
    }

    @Test
    void aRecordedFailureLeavesTheGpusAsTheAgentReportsThem() {
        // MIG Manager leaves a GPU in whatever state its failure left it: once recorded, NVML's view is the layout.
        NodeBuilder recorded = agentNodeApplying("failed")
                .editMetadata()
                .addToAnnotations(
                        QuartetLabels.NODE_LAST_FAILURE,
                        "{\"config\":\"all-2g.12gb\",\"reason\":\"MigManagerFailed\",\"at\":\"" + NOW
                                + "\",\"retryAfter\":\"" + NOW.plusSeconds(600) + "\",\"rolledBackTo\":null,"
                                + "\"deployments\":[\"ml/bert\"]}")
                .endMetadata();

        Inventory inventory = build(recorded);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(inventory.readiness()).containsEntry("gpu-1", NodeReadiness.FAILED);
    }

    @Test
    void aFailedRollbackIsPlannedAsTheAgentReportsIt() {
        NodeBuilder rollback = agentNodeApplying("failed")
                .editMetadata()
                .addToAnnotations(
                        QuartetLabels.NODE_LAST_FAILURE,
                        "{\"config\":\"all-1g.6gb\",\"reason\":\"MigManagerFailed\",\"at\":\"" + NOW.minusSeconds(9)
                                + "\",\"retryAfter\":\"" + NOW.plusSeconds(600)
                                + "\",\"rolledBackTo\":\"all-2g.12gb\",\"deployments\":[\"ml/bert\"]}")
                .endMetadata();

        Inventory inventory = build(rollback);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void anAdministratorsFailedConfigIsPlannedAsTheAgentReportsIt() {
        NodeBuilder admins = TestNodes.withAgent(
                node("gpu-1", A30, 2, "all-2g.12gb", "failed", allocatable("1g.6gb", 8)),
                TestNodes.agentLayout("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3"));

        Inventory inventory = build(admins);

        assertThat(layout(inventory, "gpu-1", 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    // A GPU product missing from gpu-models.yaml (an H200): planned from the profile table its node agent reports.

    @Test
    void anUnknownGpuWithTheAgentsProfileTableIsInTheInventoryAsThatModel() {
        Inventory inventory = build(List.of(TestNodes.h200Node("h200-1", true)), List.of());

        GpuNode node = inventory.nodes().get("h200-1");
        assertThat(node).isNotNull();
        assertThat(node.model().isBuiltIn()).isFalse();
        assertThat(node.model().displayName()).isEqualTo("H200");
        assertThat(node.model().memoryMiB()).isEqualTo(143771);
        assertThat(node.model().profileNames())
                .isEqualTo("1g.18gb, 1g.18gb+me, 1g.35gb, 2g.35gb, 3g.71gb, 4g.71gb, 7g.141gb");
        assertThat(nodeState(inventory, "h200-1").gpus())
                .hasSize(2)
                .allSatisfy(g -> assertThat(g.model()).isSameAs(node.model()));
        assertThat(inventory.notes()).doesNotContainKey("h200-1");
        // the same report gives the same model, pass after pass
        assertThat(build(List.of(TestNodes.h200Node("h200-1", true)), List.of())
                        .nodes()
                        .get("h200-1")
                        .model())
                .isSameAs(node.model());
    }

    @Test
    void anUnknownGpuWithoutAProfileTableStaysOutAndTheNoteSaysWhy() {
        Inventory inventory = build(List.of(TestNodes.h200Node("h200-1", false)), List.of());

        assertThat(inventory.nodes()).doesNotContainKey("h200-1");
        assertThat(inventory.state().nodes()).isEmpty();
        assertThat(inventory.notes().get("h200-1"))
                .isEqualTo("GPU product NVIDIA-H200 is not one of Quartet's models (A30, A100-40GB, A100-80GB,"
                        + " H100-80GB) and the node agent reports no MIG profile table for NVIDIA H200 in"
                        + " quartet.dev/mig-profiles; the node is not planned");
    }

    @Test
    void anUnknownGpuWithoutANodeAgentStaysOutAndTheNoteSaysWhy() {
        Inventory inventory = build(node("v100-1", "NVIDIA-V100-SXM2-16GB", 1, null, null, allocatable()));

        assertThat(inventory.nodes()).isEmpty();
        assertThat(inventory.notes().get("v100-1"))
                .isEqualTo("GPU product NVIDIA-V100-SXM2-16GB is not one of Quartet's models (A30, A100-40GB,"
                        + " A100-80GB, H100-80GB) and the node has no node agent report to describe it; the node is"
                        + " not planned");
    }

    @Test
    void aTableOfAnotherProductThanTheLabelsIsNotUsed() {
        Node relabelled = new NodeBuilder(TestNodes.h200Node("h200-1", true))
                .editMetadata()
                .addToLabels(NvidiaLabels.GPU_PRODUCT, "NVIDIA-H200-NVL")
                .endMetadata()
                .build();

        Inventory inventory = build(List.of(relabelled), List.of());

        assertThat(inventory.nodes()).isEmpty();
        assertThat(inventory.notes().get("h200-1"))
                .contains("the node agent reports product NVIDIA H200, which GFD would label NVIDIA-H200")
                .endsWith("; the node is not planned");
    }

    @Test
    void aReportedTableTheHardwareRulesRefuseIsNotUsed() {
        Node node = TestNodes.h200Node("h200-1", true);
        String broken = node.getMetadata()
                .getAnnotations()
                .get(NodeAgentReport.MIG_PROFILES)
                .replace("\"starts\":[0,4]", "\"starts\":[0,6]");
        node.getMetadata().getAnnotations().put(NodeAgentReport.MIG_PROFILES, broken);

        Inventory inventory = build(List.of(node), List.of());

        assertThat(inventory.nodes()).isEmpty();
        assertThat(inventory.notes().get("h200-1"))
                .contains("the MIG profile table the node agent reports for it is not usable: profile 3g.71gb placed"
                        + " at 6 would leave the GPU's 8 memory slices");
    }
}
