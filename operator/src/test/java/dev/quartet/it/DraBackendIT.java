package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.dependent.ReplicaClaimFactory;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaPlacement;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.NvidiaDra;
import dev.quartet.sim.GpuSnapshot;
import dev.quartet.testsupport.DraClaims;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The DRA backend end to end on the real kube-scheduler: InferenceDeployments on nodes of the simulated NVIDIA DRA
 * driver (DynamicMIG, A30) get one ResourceClaim per replica, allocated by Quartet to the planned device before the
 * scheduler sees the pod; the replicas run on exactly those placements and the status names them.
 */
class DraBackendIT extends BedPerTest {

    private static final Duration PATIENCE = Duration.ofSeconds(150);

    private OperatorTestBed draBed(int gpus) {
        OperatorTestBed b =
                new OperatorTestBed("dra", o -> o.withDra(true).withNodes(1).withGpusPerNode(gpus), Map.of());
        DraClaims.ensureMigDeviceClass(b.client);
        return b;
    }

    private ResourceClaim claimOf(Pod pod) {
        return bed.client
                .dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(bed.namespace)
                .withName(ReplicaClaimFactory.claimName(pod.getMetadata().getName()))
                .get();
    }

    private List<Pod> live(String deployment) {
        return bed.pods(deployment).stream()
                .filter(p -> !PodFacts.isTerminating(p))
                .toList();
    }

    /** GPU -> the instances the simulated driver created, as profile@start. */
    private Map<Integer, List<String>> instances(String node) {
        Map<Integer, List<String>> out = new TreeMap<>();
        for (GpuSnapshot g : bed.sim.layoutOf(node)) {
            out.put(
                    g.index(),
                    g.slices().stream()
                            .map(s -> s.profile() + "@" + s.start())
                            .sorted()
                            .toList());
        }
        return out;
    }

    /** Every replica runs on the device Quartet planned for it, its claim says so, and so does the status. */
    private void assertRunsWhereItWasPlanned(String deployment) {
        InferenceDeployment d = bed.get(deployment);
        for (Pod pod : live(deployment)) {
            String planned = pod.getMetadata().getAnnotations().get(QuartetLabels.PLANNED_DEVICE);
            ResourceClaim claim = claimOf(pod);
            assertThat(DraClaims.allocatedDevice(claim))
                    .as("claim of %s", pod.getMetadata().getName())
                    .contains(planned);
            assertThat(claim.getStatus().getReservedFor())
                    .singleElement()
                    .satisfies(r ->
                            assertThat(r.getName()).isEqualTo(pod.getMetadata().getName()));
            assertThat(claim.getMetadata().getOwnerReferences())
                    .singleElement()
                    .satisfies(o ->
                            assertThat(o.getUid()).isEqualTo(pod.getMetadata().getUid()));
            assertThat(PodFacts.usesNvidiaResources(pod))
                    .as("no device-plugin resource")
                    .isFalse();
            DraMigDevice device = DraMigDevice.parse(planned).orElseThrow();
            ReplicaPlacement placement = d.getStatus().getPlacements().stream()
                    .filter(p -> p.getPod().equals(pod.getMetadata().getName()))
                    .findFirst()
                    .orElseThrow();
            assertThat(placement.getGpu()).isEqualTo(device.gpuMinor());
            assertThat(placement.getStart()).isEqualTo(device.start());
            assertThat(placement.getDevice()).isEqualTo(planned);
            assertThat(instances(PodFacts.node(pod)).get(device.gpuMinor()))
                    .contains(placement.getProfile() + "@" + device.start());
        }
    }

    @Test
    void replicasRunOnThePlannedDevicesAndTheStatusNamesThem() {
        bed = draBed(2);
        String node = bed.sim.nodeNames().get(0);
        bed.create(TestDeployments.of("small", "1g.6gb", 3));
        bed.create(TestDeployments.of("medium", "2g.12gb", 2));
        bed.awaitReady("small", 3, PATIENCE);
        bed.awaitReady("medium", 2, PATIENCE);
        await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
            assertRunsWhereItWasPlanned("small");
            assertRunsWhereItWasPlanned("medium");
        });
        // kubectl quartet reads the same ResourceSlices and claims from the real API server: the DRA node, and each
        // replica under the instance its claim was allocated
        Kubectl.Run layout = Kubectl.quartet(bed.cluster, "layout");
        assertThat(layout.exit()).as(layout.toString()).isZero();
        assertThat(layout.out())
                .as(layout.toString())
                .contains("DRA (gpu.nvidia.com, DynamicMIG)")
                .contains(live("small").get(0).getMetadata().getName())
                .contains(live("medium").get(0).getMetadata().getName());
        // 3 x 1g + 2 x 2g = 7 of 8 memory slices: what first fit by profile alone could also fit, but here every
        // placement was chosen by the plan and none by the scheduler
        List<String> all =
                instances(node).values().stream().flatMap(List::stream).toList();
        assertThat(all).hasSize(5);
        assertThat(bed.client.nodes().withName(node).get().getMetadata().getLabels())
                .as("nothing of MIG Manager's is written on a DRA node")
                .doesNotContainKey("nvidia.com/mig.config");
        assertThat(bed.client.nodes().withName(node).get().getMetadata().getAnnotations())
                .doesNotContainKeys(QuartetLabels.NODE_CONFIG, QuartetLabels.NODE_CONFIG_STAGED);

        // scaling down releases the claims with the pods, and their instances
        bed.allowDeletions("small");
        bed.edit("small", d -> {
            d.getSpec().setReplicas(1);
            return d;
        });
        bed.awaitReady("small", 1, PATIENCE);
        await().atMost(SOON).untilAsserted(() -> {
            assertThat(instances(node).values().stream().mapToInt(List::size).sum())
                    .isEqualTo(3);
            assertThat(bed.client
                            .dynamicResourceAllocation()
                            .v1()
                            .resourceClaims()
                            .inNamespace(bed.namespace)
                            .withLabel(QuartetLabels.DEPLOYMENT, "small")
                            .list()
                            .getItems())
                    .hasSize(1);
        });
    }

    @Test
    void aMovableReplicaMovesSoThatALargerProfileFits() {
        bed = draBed(2);
        String node = bed.sim.nodeNames().get(0);
        String gpu1 = bed.sim.layoutOf(node).get(1).uuid();
        // another tenant fills GPU 1 (2g at 0, 1g at 2 and 3), so the movable 1g goes to GPU 0
        runForeign("t-2g", node, gpu1, "2g.12gb", "gpu-1-mig-2g12gb-5-0");
        runForeign("t-1g-a", node, gpu1, "1g.6gb", "gpu-1-mig-1g6gb-14-2");
        runForeign("t-1g-b", node, gpu1, "1g.6gb", "gpu-1-mig-1g6gb-14-3");
        bed.create(TestDeployments.movable("mover", "1g.6gb", 1));
        bed.awaitReady("mover", 1, PATIENCE);
        Pod old = live("mover").get(0);
        assertThat(old.getMetadata().getAnnotations().get(QuartetLabels.PLANNED_DEVICE))
                .startsWith("gpu-0-");
        // the tenant's 1g at 3 leaves: GPU 1 has room for one 1g, GPU 0 only for what its mover leaves
        deleteForeign("t-1g-b");

        bed.create(TestDeployments.of("big", "4g.24gb", 1));
        bed.awaitReady("big", 1, PATIENCE);
        bed.awaitReady("mover", 1, PATIENCE);

        await().atMost(SOON).ignoreExceptions().untilAsserted(() -> {
            assertThat(live("mover"))
                    .singleElement()
                    .satisfies(p -> assertThat(p.getMetadata().getAnnotations().get(QuartetLabels.PLANNED_DEVICE))
                            .isEqualTo("gpu-1-mig-1g6gb-14-3"));
            assertThat(live("big"))
                    .singleElement()
                    .satisfies(p -> assertThat(p.getMetadata().getAnnotations().get(QuartetLabels.PLANNED_DEVICE))
                            .isEqualTo("gpu-0-mig-4g24gb-0-0"));
            assertRunsWhereItWasPlanned("mover");
            assertRunsWhereItWasPlanned("big");
        });
        assertThat(instances(node))
                .containsEntry(0, List.of("4g.24gb@0"))
                .containsEntry(1, List.of("1g.6gb@2", "1g.6gb@3", "2g.12gb@0"));
        // the move started the replacement first: the old replica was deleted only once it was Ready
        Pod replacement = live("mover").get(0);
        var deleted = bed.sim.deletedWhileRunning().stream()
                .filter(p -> p.name().equals(old.getMetadata().getName()))
                .findFirst()
                .orElseThrow();
        java.time.Instant replacementReady = java.time.Instant.parse(replacement.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()))
                .findFirst()
                .orElseThrow()
                .getLastTransitionTime());
        assertThat(replacementReady).isBefore(deleted.at());
        assertThat(new TreeSet<>(List.of(
                        old.getMetadata().getName(), replacement.getMetadata().getName())))
                .hasSize(2);
    }

    private void runForeign(String name, String node, String gpuUuid, String profile, String device) {
        ResourceClaim c = bed.client
                .dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(bed.namespace)
                .resource(DraClaims.claim(bed.namespace, name, NvidiaDra.selectorFor(gpuUuid, profile)))
                .create();
        DraClaims.allocate(bed.client, c, node, device);
        bed.client
                .pods()
                .inNamespace(bed.namespace)
                .resource(DraClaims.pod(bed.namespace, name, node, name))
                .create();
        await().atMost(SOON).until(() -> {
            Pod p = bed.client.pods().inNamespace(bed.namespace).withName(name).get();
            return p != null && PodFacts.isReady(p);
        });
    }

    private void deleteForeign(String name) {
        bed.client.pods().inNamespace(bed.namespace).withName(name).delete();
        await().atMost(SOON)
                .until(() -> bed.client
                                .pods()
                                .inNamespace(bed.namespace)
                                .withName(name)
                                .get()
                        == null);
        bed.client
                .dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(bed.namespace)
                .withName(name)
                .delete();
        await().atMost(SOON)
                .until(() -> bed.client
                                .dynamicResourceAllocation()
                                .v1()
                                .resourceClaims()
                                .inNamespace(bed.namespace)
                                .withName(name)
                                .get()
                        == null);
    }
}
