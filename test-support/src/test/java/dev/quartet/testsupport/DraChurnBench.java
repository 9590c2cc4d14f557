package dev.quartet.testsupport;

import static org.awaitility.Awaitility.await;

import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NvidiaDra;
import dev.quartet.sim.GpuNodeSimulator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The DRA benchmark's baseline (hack/bench-dra.sh, docs/benchmarks.md): arrivals and departures of mixed A30 profiles
 * as plain pods with a ResourceClaim for a profile, allocated by the real kube-scheduler (first fit), on one simulated
 * node of the DRA driver. Prints replicas placed, replicas waiting although their GPU's counters would hold them (the
 * #933 pattern), slices stranded and evictions. A benchmark, not a test: it asserts nothing and runs only when named
 * ({@code -Dit.test=DraChurnBench}).
 */
@WithLocalCluster
class DraChurnBench {

    private static final GpuModel MODEL = GpuModel.A30;
    private final LocalCluster cluster;
    private final KubernetesClient client;
    private String ns;

    DraChurnBench(LocalCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    /** One event of the scenario ({@link DraChurnScenario}, shared with the run through Quartet). */
    record Event(int step, String kind, String name, String profile) {}

    static List<Event> scenario(long seed, int events, int warmup) {
        return DraChurnScenario.of(seed, events, warmup).stream()
                .map(e -> new Event(e.step(), e.kind(), e.name(), e.profile()))
                .toList();
    }

    @Test
    void firstFit() throws IOException {
        long seed = Long.getLong("quartet.bench.seed", 933);
        int events = Integer.getInteger("quartet.bench.events", 60);
        int gpus = Integer.getInteger("quartet.bench.gpus", 4);
        int warmup = Integer.getInteger("quartet.bench.warmup", 10);
        ns = cluster.createNamespace("bench-dra");
        DraClaims.ensureMigDeviceClass(client);
        List<String> lines = new ArrayList<>();
        Map<String, String> profiles = new HashMap<>();
        int arrivals = 0;
        int waitedDespiteCounters = 0;
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withDra(true).withGpusPerNode(gpus))) {
            String node = sim.nodeNames().get(0);
            for (Event e : scenario(seed, events, warmup)) {
                if (e.kind().equals("arrive")) {
                    arrivals++;
                    profiles.put(e.name(), e.profile());
                    Map<Integer, boolean[]> before = occupied(gpus);
                    create(e.name(), node, e.profile());
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> running(e.name()) || unschedulable(e.name()));
                    boolean placed = running(e.name());
                    boolean countersFit = fitsByCounters(before, e.profile());
                    if (!placed && countersFit) {
                        waitedDespiteCounters++;
                    }
                    lines.add(String.format(
                            "{\"step\":%d,\"event\":\"arrive\",\"replica\":\"%s\",\"profile\":\"%s\",\"placed\":%s,"
                                    + "\"device\":\"%s\",\"fitsByCounters\":%s}",
                            e.step(),
                            e.name(),
                            e.profile(),
                            placed,
                            DraClaims.allocatedDevice(claim(e.name())).orElse(""),
                            countersFit));
                } else {
                    delete(e.name());
                    settle(gpus, profiles);
                    lines.add(
                            String.format("{\"step\":%d,\"event\":\"depart\",\"replica\":\"%s\"}", e.step(), e.name()));
                }
            }
            settle(gpus, profiles);
            Map<Integer, boolean[]> end = occupied(gpus);
            List<String> pending = pendingReplicas();
            int placedAtEnd = (int) client.pods().inNamespace(ns).list().getItems().stream()
                    .filter(TestPods::isRunningAndReady)
                    .count();
            int strandedReplicas = (int) pending.stream()
                    .filter(n -> fitsByCounters(end, profiles.get(n)) && !fitsByPlacement(end, profiles.get(n)))
                    .count();
            int freeSlices = end.values().stream()
                    .mapToInt(u -> {
                        int f = 0;
                        for (boolean b : u) {
                            f += b ? 0 : 1;
                        }
                        return f;
                    })
                    .sum();
            java.util.Set<String> departed = new java.util.HashSet<>();
            lines.stream()
                    .filter(l -> l.contains("\"depart\""))
                    .forEach(l -> departed.add(l.replaceAll(".*\"replica\":\"([^\"]+)\".*", "$1")));
            // pods the node lost without the scenario deleting them (first fit never moves anything: expected 0)
            int evictions = (int) sim.deletedWhileRunning().stream()
                    .filter(d -> !departed.contains(d.name()))
                    .count();
            String summary = String.format(
                    "first fit (kube-scheduler %s, 1 node x %d A30, seed %d, %d events): arrivals %d, placed at end %d, "
                            + "pending at end %d, of which fit by counters but at no placement (#933) %d; arrivals "
                            + "that waited although their GPU's counters held them %d; free memory slices at end %d "
                            + "(stranded while replicas wait: %d); evictions %d",
                    client.getKubernetesVersion().getGitVersion(),
                    gpus,
                    seed,
                    events,
                    arrivals,
                    placedAtEnd,
                    pending.size(),
                    strandedReplicas,
                    waitedDespiteCounters,
                    freeSlices,
                    pending.isEmpty() ? 0 : freeSlices,
                    evictions);
            System.out.println("DRA-BENCH " + summary);
            lines.add("{\"summary\":\"" + summary.replace("\"", "'") + "\",\"layout\":\"" + layout(end) + "\"}");
            String out = System.getProperty("quartet.bench.out");
            if (out != null) {
                Files.write(Path.of(out), lines);
            }
        } finally {
            cluster.deleteNamespace(ns);
        }
    }

    private void create(String name, String node, String profile) {
        client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .resource(DraClaims.claim(ns, name, NvidiaDra.selectorFor(profile)))
                .create();
        client.pods()
                .inNamespace(ns)
                .resource(DraClaims.pod(ns, name, node, name))
                .create();
    }

    private void delete(String name) {
        client.pods().inNamespace(ns).withName(name).delete();
        client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .withName(name)
                .delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> claim(name) == null);
    }

    /** Waits until every waiting replica that some free placement would hold has been placed (first fit must). */
    private void settle(int gpus, Map<String, String> profiles) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    Map<Integer, boolean[]> now = occupied(gpus);
                    return pendingReplicas().stream().noneMatch(n -> fitsByPlacement(now, profiles.get(n)));
                });
    }

    private List<String> pendingReplicas() {
        return client.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> p.getSpec().getNodeName() == null)
                .map(p -> p.getMetadata().getName())
                .toList();
    }

    private boolean running(String name) {
        return TestPods.isRunningAndReady(
                client.pods().inNamespace(ns).withName(name).get());
    }

    private boolean unschedulable(String name) {
        Pod pod = client.pods().inNamespace(ns).withName(name).get();
        return pod != null
                && pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "PodScheduled".equals(c.getType()) && "Unschedulable".equals(c.getReason()));
    }

    private ResourceClaim claim(String name) {
        return client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .withName(name)
                .get();
    }

    /** Memory slices each GPU's allocated claims cover, as the scheduler counts them. */
    private Map<Integer, boolean[]> occupied(int gpus) {
        Map<Integer, boolean[]> used = new LinkedHashMap<>();
        for (int g = 0; g < gpus; g++) {
            used.put(g, new boolean[MODEL.memorySlices()]);
        }
        for (ResourceClaim c : client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(ns)
                .list()
                .getItems()) {
            DraClaims.allocatedDevice(c).flatMap(DraMigDevice::parse).ifPresent(d -> {
                MigProfile p = d.profileOn(MODEL).orElseThrow();
                for (int i = d.start(); i < d.start() + p.memorySlices(); i++) {
                    used.get(d.gpuMinor())[i] = true;
                }
            });
        }
        return used;
    }

    /** Some GPU has as many free memory slices (and so compute) as the profile needs, wherever they are. */
    private static boolean fitsByCounters(Map<Integer, boolean[]> used, String profile) {
        MigProfile p = MODEL.requireProfile(profile);
        return used.values().stream().anyMatch(u -> {
            int free = 0;
            for (boolean b : u) {
                free += b ? 0 : 1;
            }
            return free >= p.memorySlices();
        });
    }

    /** Some GPU has a legal placement of the profile free. */
    private static boolean fitsByPlacement(Map<Integer, boolean[]> used, String profile) {
        MigProfile p = MODEL.requireProfile(profile);
        return used.values().stream()
                .anyMatch(u -> p.starts().stream().anyMatch(s -> {
                    for (int i = s; i < s + p.memorySlices(); i++) {
                        if (u[i]) {
                            return false;
                        }
                    }
                    return true;
                }));
    }

    private static String layout(Map<Integer, boolean[]> used) {
        StringBuilder sb = new StringBuilder();
        used.forEach((g, u) -> {
            sb.append("gpu").append(g).append(':');
            for (boolean b : u) {
                sb.append(b ? '#' : '.');
            }
            sb.append(' ');
        });
        return sb.toString().trim();
    }
}
