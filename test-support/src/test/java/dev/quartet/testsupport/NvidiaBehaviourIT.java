package dev.quartet.testsupport;

import static dev.quartet.testsupport.ClusterAssertions.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.sim.DevicePluginAllocator;
import dev.quartet.sim.GpuHardware;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.MigDevice;
import dev.quartet.sim.MigLayout;
import dev.quartet.sim.Strictness;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulator's behaviours of issue 17 that make it as strict as NVIDIA's stack and the kubelet, each switched on
 * by its option, against the real API server, scheduler and controllers.
 */
@WithLocalCluster
class NvidiaBehaviourIT {

    private static String ns;
    private final LocalCluster cluster;
    private final KubernetesClient client;

    NvidiaBehaviourIT(LocalCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @BeforeAll
    static void createNamespace(LocalCluster cluster) {
        ns = cluster.createNamespace("it-strict");
    }

    @AfterAll
    static void deleteNamespace(LocalCluster cluster) {
        cluster.deleteNamespace(ns);
    }

    private Pod get(String name) {
        return client.pods().inNamespace(ns).withName(name).get();
    }

    private Pod runPod(String name, String node, String profile) {
        client.pods()
                .inNamespace(ns)
                .resource(TestPods.slicePod(ns, name, node, profile))
                .create();
        eventually().until(() -> TestPods.isRunningAndReady(get(name)));
        return get(name);
    }

    private void deletePodAndWait(String name) {
        client.pods().inNamespace(ns).withName(name).delete();
        eventually().until(() -> get(name) == null);
    }

    /** The starts a random allocator of {@code seed} hands out, one by one, on one GPU of four 1g.6gb. */
    private static List<Integer> startsFor(long seed, int pods) {
        List<GpuHardware> gpu = List.of(GpuHardware.of(
                "any",
                0,
                GpuModel.A30,
                true,
                MigLayout.parse("4x1g.6gb").placeOn(GpuModel.A30).instances()));
        DevicePluginAllocator allocator = new DevicePluginAllocator(Strictness.DeviceChoice.RANDOM, seed);
        Set<String> busy = new HashSet<>();
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            MigDevice d = allocator
                    .chooseMig(gpu, busy, GpuModel.A30.requireProfile("1g.6gb"))
                    .orElseThrow();
            busy.add(d.uuid());
            starts.add(d.start());
        }
        return starts;
    }

    @Test
    void theKubeletPicksAnyFreeDeviceAtRandomFromTheLoggedSeedNotTheLeastBusyGpu() {
        // a seed whose two first picks strand slots 0 and 3 (1 and 2 taken): no 2g.12gb fits any more, which the
        // least-busy rule (0 then 1) never does
        long seed = LongStream.range(0, 1000)
                .filter(s -> new HashSet<>(startsFor(s, 2)).equals(Set.of(1, 2)))
                .findFirst()
                .orElseThrow();
        for (int run = 1; run <= 2; run++) {
            try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withGpusPerNode(1)
                    .withLayout("4x1g.6gb")
                    .withDeviceChoice(Strictness.DeviceChoice.RANDOM, seed))) {
                String node = sim.nodeNames().get(0);
                List<Integer> starts = new ArrayList<>();
                for (int i = 1; i <= 2; i++) {
                    Pod pod = runPod(node + "-p" + i, node, "1g.6gb");
                    starts.add(TestPods.migDevice(pod).orElseThrow().start());
                }
                assertThat(starts).as("run %d with seed %d", run, seed).isEqualTo(startsFor(seed, 2));
                assertThat(sim.layoutOf(node).get(0).slices())
                        .filteredOn(s -> s.pod() != null)
                        .extracting(s -> s.start())
                        .containsExactlyInAnyOrder(1, 2);
                for (int i = 1; i <= 2; i++) {
                    deletePodAndWait(node + "-p" + i);
                }
            }
        }
    }
}
