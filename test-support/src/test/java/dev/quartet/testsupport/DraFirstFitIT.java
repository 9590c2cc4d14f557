package dev.quartet.testsupport;

import static dev.quartet.testsupport.ClusterAssertions.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quartet.nvidia.NvidiaDra;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.GpuSnapshot;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the real kube-scheduler allocates NVIDIA's dynamic MIG devices, on a simulated node of the DRA driver with
 * DynamicMIG: first fit in listed order (the baseline Quartet's DRA backend is measured against), the #933 pattern
 * (a profile that fits by the GPU's counters but at no placement stays Pending), and a claim whose allocation was
 * written before its pod was scheduled, which the scheduler keeps as written.
 */
@WithLocalCluster
class DraFirstFitIT {

    private static String ns;
    private final KubernetesClient client;
    private final LocalCluster cluster;

    DraFirstFitIT(LocalCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @BeforeAll
    static void setUp(LocalCluster cluster) {
        int minor = Integer.parseInt(
                cluster.client().getKubernetesVersion().getMinor().replaceAll("\\D", ""));
        // partitionable devices (KEP-4815) are beta and on by default from 1.36; hack/local-cluster.sh turns the alpha
        // gate on for older releases, where the driver's format differs (see docs/local-cluster.md)
        assumeTrue(minor >= 36, "DRA partitionable devices are on by default from Kubernetes 1.36");
        ns = cluster.createNamespace("it-dra");
        DraClaims.ensureMigDeviceClass(cluster.client());
    }

    @AfterAll
    static void tearDown(LocalCluster cluster) {
        if (ns != null) {
            cluster.deleteNamespace(ns);
        }
    }

    private String run(String name, String node, String selector) {
        client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .resource(DraClaims.claim(ns, name, selector))
                .create();
        client.pods()
                .inNamespace(ns)
                .resource(DraClaims.pod(ns, name, node, name))
                .create();
        eventually().until(() -> TestPods.isRunningAndReady(pod(name)));
        return DraClaims.allocatedDevice(claim(name)).orElseThrow();
    }

    private Pod pod(String name) {
        return client.pods().inNamespace(ns).withName(name).get();
    }

    private ResourceClaim claim(String name) {
        return client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .withName(name)
                .get();
    }

    private void delete(String name) {
        client.pods().inNamespace(ns).withName(name).delete();
        eventually().until(() -> pod(name) == null);
        client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .withName(name)
                .delete();
        eventually().until(() -> claim(name) == null);
    }

    private static List<String> instances(GpuNodeSimulator sim, String node, int gpu) {
        GpuSnapshot g = sim.layoutOf(node).get(gpu);
        return g.slices().stream().map(s -> s.profile() + "@" + s.start()).toList();
    }

    @Test
    void theDriversSlicesFormACompletePoolInTheOrderFirstFitTries() {
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withDra(true).withGpusPerNode(2))) {
            String node = sim.nodeNames().get(0);
            List<ResourceSlice> slices =
                    new ArrayList<>(client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
                            .filter(s -> node.equals(s.getSpec().getNodeName()))
                            .toList());
            slices.sort(Comparator.comparing(s -> s.getMetadata().getName()));

            assertThat(slices).hasSize(3);
            assertThat(slices.get(0).getSpec().getSharedCounters()).hasSize(2);
            assertThat(slices.get(1).getSpec().getDevices().get(0).getName()).isEqualTo("gpu-0-mig-1g6gb-14-0");
            assertThat(slices.get(2).getSpec().getDevices().get(0).getName()).isEqualTo("gpu-1-mig-1g6gb-14-0");
            assertThat(slices)
                    .allSatisfy(s -> assertThat(s.getSpec().getPool().getResourceSliceCount())
                            .isEqualTo(3L));
            assertThat(client.nodes().withName(node).get().getStatus().getAllocatable())
                    .doesNotContainKey("nvidia.com/mig-1g.6gb");
        }
    }

    @Test
    void theSchedulerTakesTheFirstFreeDeviceInListedOrderAndLeavesA933Gap() {
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withDra(true).withGpusPerNode(2))) {
            String node = sim.nodeNames().get(0);
            String oneG = NvidiaDra.selectorFor("1g.6gb");
            String twoG = NvidiaDra.selectorFor("2g.12gb");

            // five 1g.6gb claims: GPU 0's four placements in order, then GPU 1's first
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                got.add(run("a" + i, node, oneG));
            }
            assertThat(got)
                    .containsExactly(
                            "gpu-0-mig-1g6gb-14-0",
                            "gpu-0-mig-1g6gb-14-1",
                            "gpu-0-mig-1g6gb-14-2",
                            "gpu-0-mig-1g6gb-14-3",
                            "gpu-1-mig-1g6gb-14-0");
            // preparing the claim created the GPU instance at the allocated placement; MIG mode stayed on
            assertThat(instances(sim, node, 0)).containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
            assertThat(instances(sim, node, 1)).containsExactly("1g.6gb@0");
            assertThat(sim.layoutOf(node))
                    .allSatisfy(g -> assertThat(g.migEnabled()).isTrue());

            // a 2g.12gb: GPU 1's placement 0 is blocked by slice 0, so the next one, 2
            assertThat(run("b0", node, twoG)).isEqualTo("gpu-1-mig-2g12gb-5-2");
            // a 1g.6gb: GPU 0 full, GPU 1 slice 1 is the first free
            assertThat(run("a5", node, oneG)).isEqualTo("gpu-1-mig-1g6gb-14-1");

            // departures in the middle of GPU 0: releasing a claim destroys its instance
            delete("a1");
            delete("a2");
            eventually().until(() -> instances(sim, node, 0).equals(List.of("1g.6gb@0", "1g.6gb@3")));

            // #933: GPU 0 has two free memory slices and 28 free multiprocessors, enough counters for a
            // 2g.12gb, but no 2g.12gb placement (0-1 or 2-3) is free: the pod stays Pending
            client.dynamicResourceAllocation()
                    .v1()
                    .resourceClaims()
                    .inNamespace(ns)
                    .resource(DraClaims.claim(ns, "b1", twoG))
                    .create();
            client.pods()
                    .inNamespace(ns)
                    .resource(DraClaims.pod(ns, "b1", node, "b1"))
                    .create();
            eventually().until(() -> unschedulable(pod("b1")));
            assertThat(DraClaims.allocatedDevice(claim("b1"))).isEmpty();

            // and a 1g.6gb arriving now takes the lowest free slot, 1: first fit, whatever a plan wanted
            assertThat(run("a6", node, oneG)).isEqualTo("gpu-0-mig-1g6gb-14-1");
            delete("b1");
        }
    }

    @Test
    void aClaimPinnedToGpuAndProfileGetsTheLowestFreePlacementOfThatGpu() {
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withDra(true).withGpusPerNode(2))) {
            String node = sim.nodeNames().get(0);
            String gpu1 = sim.layoutOf(node).get(1).uuid();

            assertThat(run("p0", node, NvidiaDra.selectorFor(gpu1, "1g.6gb"))).isEqualTo("gpu-1-mig-1g6gb-14-0");
            assertThat(run("p1", node, NvidiaDra.selectorFor(gpu1, "2g.12gb"))).isEqualTo("gpu-1-mig-2g12gb-5-2");
            assertThat(run("p2", node, NvidiaDra.selectorFor(gpu1, "1g.6gb"))).isEqualTo("gpu-1-mig-1g6gb-14-1");
            assertThat(instances(sim, node, 0)).isEmpty();
        }
    }

    @Test
    void anAllocationWrittenBeforeSchedulingIsKeptAsWritten() {
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withDra(true).withGpusPerNode(1))) {
            String node = sim.nodeNames().get(0);
            String gpu0 = sim.layoutOf(node).get(0).uuid();
            // first fit would give slot 0; the claim is allocated to slot 3 before any pod asks
            ResourceClaim c = client.dynamicResourceAllocation()
                    .v1()
                    .resourceClaims()
                    .inNamespace(ns)
                    .resource(DraClaims.claim(ns, "w0", NvidiaDra.selectorFor(gpu0, "1g.6gb")))
                    .create();
            DraClaims.allocate(client, c, node, "gpu-0-mig-1g6gb-14-3");
            client.pods()
                    .inNamespace(ns)
                    .resource(DraClaims.pod(ns, "w0", null, "w0"))
                    .create();
            eventually().until(() -> TestPods.isRunningAndReady(pod("w0")));

            assertThat(pod("w0").getSpec().getNodeName()).isEqualTo(node);
            assertThat(DraClaims.allocatedDevice(claim("w0"))).contains("gpu-0-mig-1g6gb-14-3");
            assertThat(claim("w0").getStatus().getReservedFor()).hasSize(1);
            assertThat(instances(sim, node, 0)).containsExactly("1g.6gb@3");
            // and the scheduler counts it: a 2g.12gb now takes placement 0, the only one left
            assertThat(run("w1", node, NvidiaDra.selectorFor(gpu0, "2g.12gb"))).isEqualTo("gpu-0-mig-2g12gb-5-0");
            assertThat(instances(sim, node, 0)).containsExactly("2g.12gb@0", "1g.6gb@3");
        }
    }

    private static boolean unschedulable(Pod pod) {
        return pod != null
                && pod.getSpec().getNodeName() == null
                && pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "PodScheduled".equals(c.getType())
                                && "False".equals(c.getStatus())
                                && "Unschedulable".equals(c.getReason()));
    }
}
