package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Scale-down: when a demand has more running replicas than it asks for, picks the ones to release so that
 * what stays is as spread (or, for {@code pack}, as concentrated) as possible; for a demand with
 * {@code freeGpusFirst}, first the replicas whose release empties a whole GPU (the GPUs that need fewest releases
 * first), so the next repartition finds whole GPUs free.
 */
final class ReplicaRelease {

    private final ResolvedDemand[] demands;
    private final List<PlanInput.RunningReplica> candidates;
    private final Set<String> releaseFirst;
    private final Map<Integer, Integer> occupied;

    /** {@code occupied}: per GPU, its instances in use (any tenant's, not only the candidates). */
    ReplicaRelease(
            ResolvedDemand[] demands,
            List<PlanInput.RunningReplica> candidates,
            Set<String> releaseFirst,
            Map<Integer, Integer> occupied) {
        this.demands = demands;
        this.candidates = candidates;
        this.releaseFirst = releaseFirst;
        this.occupied = new HashMap<>(occupied);
    }

    /** The replicas to keep; the names of the others are added to {@code released}. */
    List<PlanInput.RunningReplica> keep(List<String> released) {
        Map<Integer, List<PlanInput.RunningReplica>> byDemand = new HashMap<>();
        for (PlanInput.RunningReplica replica : candidates) {
            byDemand.computeIfAbsent(replica.demand(), k -> new ArrayList<>()).add(replica);
        }
        Map<Integer, Integer> runningOnGpu = new HashMap<>();
        candidates.forEach(r -> runningOnGpu.merge(r.gpu(), 1, Integer::sum));
        List<PlanInput.RunningReplica> kept = new ArrayList<>();
        for (int d = 0; d < demands.length; d++) {
            List<PlanInput.RunningReplica> replicas = new ArrayList<>(byDemand.getOrDefault(d, List.of()));
            while (replicas.size() > demands[d].replicas()) {
                PlanInput.RunningReplica victim = demands[d].demand.freeGpusFirst()
                        ? freeingVictim(replicas, replicas.size() - demands[d].replicas())
                        : null;
                if (victim == null) {
                    victim = pickVictim(replicas, demands[d].pack(), runningOnGpu);
                }
                replicas.remove(victim);
                runningOnGpu.merge(victim.gpu(), -1, Integer::sum);
                occupied.merge(victim.gpu(), -1, Integer::sum);
                released.add(victim.name());
            }
            kept.addAll(replicas);
        }
        return kept;
    }

    /**
     * A replica named in {@code releaseFirst}, else one on the GPU that the fewest releases empty (every instance in
     * use there is one of {@code replicas}, at most {@code surplus} of them; then the lowest GPU index), else null.
     */
    private PlanInput.RunningReplica freeingVictim(List<PlanInput.RunningReplica> replicas, int surplus) {
        for (PlanInput.RunningReplica r : replicas) {
            if (releaseFirst.contains(r.name())) {
                return r;
            }
        }
        Map<Integer, Integer> perGpu = new HashMap<>();
        replicas.forEach(r -> perGpu.merge(r.gpu(), 1, Integer::sum));
        return perGpu.entrySet().stream()
                .filter(e -> e.getValue() <= surplus && e.getValue().equals(occupied.getOrDefault(e.getKey(), 0)))
                .min(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .flatMap(e -> replicas.stream()
                        .filter(r -> r.gpu() == e.getKey())
                        .max(Comparator.comparing(PlanInput.RunningReplica::name)))
                .orElse(null);
    }

    /**
     * A replica named in {@code releaseFirst} (one a plan would otherwise move) before any other. Then spread: the
     * replica on the node holding most of the demand, then on the GPU holding most of it, then on the GPU with
     * fewest other replicas (so a GPU may free up), then the greatest name. Pack: the node holding least.
     */
    private PlanInput.RunningReplica pickVictim(
            List<PlanInput.RunningReplica> replicas, boolean pack, Map<Integer, Integer> runningOnGpu) {
        Map<Integer, Integer> perNode = new HashMap<>();
        Map<Integer, Integer> perGpu = new HashMap<>();
        for (PlanInput.RunningReplica replica : replicas) {
            perNode.merge(replica.node(), 1, Integer::sum);
            perGpu.merge(replica.gpu(), 1, Integer::sum);
        }
        Comparator<PlanInput.RunningReplica> byNode = Comparator.comparingInt(r -> perNode.get(r.node()));
        Comparator<PlanInput.RunningReplica> first = Comparator.comparing(r -> !releaseFirst.contains(r.name()));
        Comparator<PlanInput.RunningReplica> order = first.thenComparing(pack ? byNode : byNode.reversed())
                .thenComparing(Comparator.comparingInt((PlanInput.RunningReplica r) -> perGpu.get(r.gpu()))
                        .reversed())
                .thenComparingInt(r -> runningOnGpu.get(r.gpu()))
                .thenComparing(
                        Comparator.comparing(PlanInput.RunningReplica::name).reversed());
        return replicas.stream().min(order).orElseThrow();
    }
}
