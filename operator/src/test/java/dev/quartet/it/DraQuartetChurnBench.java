package dev.quartet.it;

import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaPlacement;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.testsupport.DraChurnScenario;
import dev.quartet.testsupport.DraClaims;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The DRA benchmark through Quartet (hack/bench-dra.sh, docs/benchmarks.md): the same arrivals and departures as the
 * first-fit baseline ({@link DraChurnScenario}), each arrival an InferenceDeployment of one movable replica, each
 * departure its deletion, on one simulated node of the DRA driver, with the packaged operator and the chart's
 * permissions. Prints replicas placed, arrivals that waited although their GPU's counters held them (the #933
 * pattern), slices stranded, and the moves Quartet made. A benchmark: it asserts nothing and runs only when named
 * ({@code -Dit.test=DraQuartetChurnBench}).
 */
class DraQuartetChurnBench {

    private static final GpuModel MODEL = GpuModel.A30;
    private static final Set<String> SHORT = Set.of("InsufficientSlices", "BlockedByRunningReplicas");

    @Test
    void throughQuartet() throws IOException {
        long seed = Long.getLong("quartet.bench.seed", 933);
        int events = Integer.getInteger("quartet.bench.events", 80);
        int gpus = Integer.getInteger("quartet.bench.gpus", 2);
        int warmup = Integer.getInteger("quartet.bench.warmup", 6);
        List<String> lines = new ArrayList<>();
        Map<String, String> profiles = new LinkedHashMap<>();
        Set<String> departed = new HashSet<>();
        int arrivals = 0;
        int waitedDespiteCounters = 0;
        try (OperatorTestBed bed = new OperatorTestBed(
                "bench-dra-q", o -> o.withDra(true).withNodes(1).withGpusPerNode(gpus), Map.of())) {
            DraClaims.ensureMigDeviceClass(bed.client);
            for (DraChurnScenario.Event e : DraChurnScenario.of(seed, events, warmup)) {
                if (e.kind().equals("arrive")) {
                    arrivals++;
                    profiles.put(e.name(), e.profile());
                    Map<Integer, boolean[]> before = occupied(bed, gpus);
                    bed.create(TestDeployments.movable(e.name(), e.profile(), 1));
                    settle(bed, profiles.keySet(), departed);
                    boolean placed = ready(bed, e.name());
                    boolean countersFit = fitsByCounters(before, e.profile());
                    if (!placed && countersFit) {
                        waitedDespiteCounters++;
                    }
                    lines.add(String.format(
                            "{\"step\":%d,\"event\":\"arrive\",\"replica\":\"%s\",\"profile\":\"%s\",\"placed\":%s,"
                                    + "\"device\":\"%s\",\"fitsByCounters\":%s}",
                            e.step(), e.name(), e.profile(), placed, device(bed, e.name()), countersFit));
                } else {
                    departed.add(e.name());
                    bed.allowDeletions(e.name());
                    bed.deployments()
                            .inNamespace(bed.namespace)
                            .withName(e.name())
                            .delete();
                    settle(bed, profiles.keySet(), departed);
                    lines.add(
                            String.format("{\"step\":%d,\"event\":\"depart\",\"replica\":\"%s\"}", e.step(), e.name()));
                }
            }
            Map<Integer, boolean[]> end = occupied(bed, gpus);
            List<String> alive = profiles.keySet().stream()
                    .filter(n -> !departed.contains(n))
                    .toList();
            int placedAtEnd = (int) alive.stream().filter(n -> ready(bed, n)).count();
            List<String> pending = alive.stream().filter(n -> !ready(bed, n)).toList();
            int strandedReplicas = (int) pending.stream()
                    .filter(n -> fitsByCounters(end, profiles.get(n)) && !fitsByPlacement(end, profiles.get(n)))
                    .count();
            int freeSlices = 0;
            for (boolean[] u : end.values()) {
                for (boolean b : u) {
                    freeSlices += b ? 0 : 1;
                }
            }
            // running replicas deleted without the scenario deleting their deployment: Quartet's moves (each after
            // its replacement was Ready)
            int moves = (int) bed.sim.deletedWhileRunning().stream()
                    .filter(d -> d.namespace().equals(bed.namespace))
                    .filter(d -> !departed.contains(d.labels().get("inference.quartet.dev/deployment")))
                    .count();
            String summary = String.format(
                    "through Quartet (kube-scheduler %s, 1 node x %d A30, seed %d, %d events): arrivals %d, placed at "
                            + "end %d, pending at end %d, of which fit by counters but at no placement (#933) %d; "
                            + "arrivals that waited although their GPU's counters held them %d; free memory slices at "
                            + "end %d (stranded while replicas wait: %d); moves (replacement Ready first) %d",
                    bed.client.getKubernetesVersion().getGitVersion(),
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
                    moves);
            System.out.println("DRA-BENCH " + summary);
            lines.add("{\"summary\":\"" + summary.replace("\"", "'") + "\",\"layout\":\"" + layout(end) + "\"}");
            String out = System.getProperty("quartet.bench.out");
            if (out != null) {
                Files.write(Path.of(out), lines);
            }
        }
    }

    /**
     * Waits until the operator has nothing left to do: every live deployment either Ready with its one replica or
     * short of slices with no replica in flight, nothing terminating, three polls in a row.
     */
    private static void settle(OperatorTestBed bed, Set<String> all, Set<String> departed) {
        int[] stable = {0};
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> {
                    boolean quiet = true;
                    for (String n : all) {
                        List<Pod> pods = bed.pods(n);
                        if (departed.contains(n)) {
                            quiet &= pods.isEmpty();
                            continue;
                        }
                        boolean ready = pods.size() == 1 && PodFacts.isReady(pods.get(0)) && ready(bed, n);
                        boolean shortOf = pods.isEmpty()
                                && bed.condition(n, "Degraded")
                                        .filter(c -> "True".equals(c.getStatus()) && SHORT.contains(c.getReason()))
                                        .isPresent();
                        quiet &= ready || shortOf;
                    }
                    stable[0] = quiet ? stable[0] + 1 : 0;
                    return stable[0] >= 3;
                });
    }

    private static boolean ready(OperatorTestBed bed, String name) {
        InferenceDeployment d = bed.get(name);
        return d != null
                && d.getStatus() != null
                && d.getStatus().getReadyReplicas() != null
                && d.getStatus().getReadyReplicas() == 1;
    }

    private static String device(OperatorTestBed bed, String name) {
        InferenceDeployment d = bed.get(name);
        if (d == null || d.getStatus() == null || d.getStatus().getPlacements() == null) {
            return "";
        }
        return d.getStatus().getPlacements().stream()
                .map(ReplicaPlacement::getDevice)
                .filter(x -> x != null)
                .findFirst()
                .orElse("");
    }

    /** Memory slices each GPU's allocated claims cover, as the scheduler counts them. */
    private static Map<Integer, boolean[]> occupied(OperatorTestBed bed, int gpus) {
        Map<Integer, boolean[]> used = new TreeMap<>();
        for (int g = 0; g < gpus; g++) {
            used.put(g, new boolean[MODEL.memorySlices()]);
        }
        for (ResourceClaim c : bed.client
                .dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(bed.namespace)
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
