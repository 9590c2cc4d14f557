package dev.quartet.reconciler;

import dev.quartet.autoscale.Recommendation;
import dev.quartet.autoscale.ReplicaLoad;
import dev.quartet.autoscale.ReplicaRecommender;
import dev.quartet.autoscale.ScaleDecision;
import dev.quartet.autoscale.ScalingPolicy;
import dev.quartet.autoscale.Signal;
import dev.quartet.autoscale.WorkerReading;
import dev.quartet.config.QuartetConfig;
import dev.quartet.demand.DemandFactory;
import dev.quartet.inventory.PodFacts;
import dev.quartet.model.AutoscalingSpec;
import dev.quartet.model.AutoscalingStatus;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.status.AutoscalingReport;
import io.fabric8.kubernetes.api.model.Pod;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Autoscaling's side of a reconcile: at most once per {@code quartet.autoscaling.sync-period} per deployment it reads
 * the Ready replicas' load ({@link WorkerLoadReader}) and asks {@link ReplicaRecommender} for the count; in between it
 * repeats the last decision. What it remembers (the scale-down window, each replica's last reading for the averages)
 * lives here, in memory: after a restart the window starts again from the count in status, so a restart delays a
 * scale-down by at most scaleDownDelaySeconds and never causes one.
 */
@ApplicationScoped
public class LoadAutoscaler {

    @Inject
    WorkerLoadReader reader;

    @Inject
    QuartetConfig config;

    private record Memory(
            Instant readAt,
            List<Recommendation> window,
            Map<String, WorkerReading> readings,
            AutoscalingStatus decision,
            boolean limitedByMax) {}

    private final Map<String, Memory> memory = new ConcurrentHashMap<>();

    /** The decision for {@code d} (which has spec.autoscaling) at {@code now}; {@code hpa}: one that also scales it. */
    public AutoscalingReport decide(InferenceDeployment d, List<Pod> pods, Optional<String> hpa, Instant now) {
        String id = DemandFactory.id(d);
        AutoscalingSpec spec = d.getSpec().getAutoscaling();
        ScalingPolicy policy = policy(spec);
        Memory before = memory.get(id);
        // The last decision here is fresher than the status in the cache, which the patch reaches a moment later.
        int current = before == null
                ? ReplicaTarget.of(d)
                : policy.clamp(before.decision().getDesiredReplicas());
        Memory after = before;
        if (before == null
                || !before.readAt().plus(config.autoscaling().syncPeriod()).isAfter(now)
                || current != before.decision().getDesiredReplicas()
                || !policy.signal().field().equals(before.decision().getMetric())) {
            after = read(id, policy, current, pods, before, d, now);
            memory.put(id, after);
        }
        return new AutoscalingReport(
                after.decision(),
                policy.minReplicas(),
                policy.maxReplicas(),
                policy.signal().words(),
                (int) policy.targetPerReplica(),
                after.limitedByMax(),
                hpa);
    }

    /** When the next reading of {@code d} is due. */
    public Duration untilNextRead(String id, Instant now) {
        Memory m = memory.get(id);
        if (m == null) {
            return Duration.ZERO;
        }
        Duration left =
                Duration.between(now, m.readAt().plus(config.autoscaling().syncPeriod()));
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** Forgets the deployments not in {@code ids} (deleted, or no longer autoscaled). */
    public void retain(Set<String> ids) {
        memory.keySet().retainAll(ids);
    }

    private Memory read(
            String id,
            ScalingPolicy policy,
            int current,
            List<Pod> pods,
            Memory before,
            InferenceDeployment d,
            Instant now) {
        List<Pod> ready = pods.stream()
                .filter(p -> !PodFacts.isTerminating(p) && PodFacts.isReady(p))
                .toList();
        Map<String, WorkerReading> readings = ready.isEmpty() ? Map.of() : reader.read(ready);
        Map<String, WorkerReading> previous = before == null ? Map.of() : before.readings();
        List<ReplicaLoad> loads = new ArrayList<>();
        readings.forEach((name, r) -> loads.add(r.since(previous.get(name), name)));
        List<Recommendation> window = before == null ? List.of() : before.window();
        ScaleDecision decision = ReplicaRecommender.decide(policy, current, window, loads, now);
        AutoscalingStatus previousStatus = before != null
                ? before.decision()
                : d.getStatus() == null ? null : d.getStatus().getAutoscaling();
        AutoscalingStatus s = new AutoscalingStatus();
        s.setMetric(policy.signal().field());
        s.setCurrentTotal(String.format(Locale.ROOT, "%.2f", decision.total()));
        s.setMeasuredReplicas(decision.measured());
        s.setRecommendedReplicas(decision.recommended());
        s.setDesiredReplicas(decision.desired());
        s.setLastScaleTime(
                decision.desired() != current || previousStatus == null || previousStatus.getLastScaleTime() == null
                        ? now.truncatedTo(ChronoUnit.SECONDS).toString()
                        : previousStatus.getLastScaleTime());
        Log.debugf(
                "%s: %s %.2f over %d of %d Ready replicas: %d -> %d (recommended %d)",
                id,
                policy.signal().words(),
                decision.total(),
                decision.measured(),
                ready.size(),
                current,
                decision.desired(),
                decision.recommended());
        return new Memory(now, decision.window(), new HashMap<>(readings), s, decision.limitedByMax(policy));
    }

    static ScalingPolicy policy(AutoscalingSpec spec) {
        boolean queue = spec.getTarget().getQueueDepthPerReplica() != null;
        int target = queue
                ? spec.getTarget().getQueueDepthPerReplica()
                : spec.getTarget().getInFlightPerReplica();
        int min = spec.getMinReplicas() == null ? 1 : spec.getMinReplicas();
        return new ScalingPolicy(
                min,
                spec.getMaxReplicas(),
                queue ? Signal.QUEUE_DEPTH : Signal.IN_FLIGHT,
                target,
                Duration.ofSeconds(spec.getScaleDownDelaySeconds() == null ? 300 : spec.getScaleDownDelaySeconds()));
    }
}
