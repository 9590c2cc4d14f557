package dev.quartet.status;

import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.model.AutoscalingStatus;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentStatus;
import dev.quartet.model.ReplicaPlacement;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.planner.Unsatisfied;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Derives an InferenceDeployment's whole status (conditions, counts, placements) from one reconcile's inputs. */
public final class StatusBuilder {

    /** Container waiting reasons that do not clear without someone acting. */
    private static final Set<String> STUCK_WAITING = Set.of(
            "ImagePullBackOff",
            "ErrImagePull",
            "InvalidImageName",
            "CreateContainerConfigError",
            "CreateContainerError");
    /**
     * The exit status of a worker that refuses to serve as configured (the worker's ServingDevice.REFUSED_EXIT_CODE,
     * sysexits' EX_CONFIG): a replica given a MIG slice whose engine runs on the CPU without spec.worker.allowCpuFallback.
     * Restarts do not help, so the replica is failing at its first such exit, with the reason the worker wrote.
     */
    static final int REFUSED_EXIT_CODE = 78;

    /** How long the scheduler may refuse a replica before it counts as failing. */
    static final Duration UNSCHEDULABLE_AFTER = Duration.ofMinutes(2);

    private final Clock clock;
    private final ConditionMerger merger;

    public StatusBuilder(Clock clock) {
        this.clock = clock;
        this.merger = new ConditionMerger(clock);
    }

    public InferenceDeploymentStatus build(InferenceDeployment d, StatusInputs in) {
        InferenceDeploymentStatus previous = d.getStatus() == null ? new InferenceDeploymentStatus() : d.getStatus();
        InferenceDeploymentStatus s = new InferenceDeploymentStatus();
        long generation =
                d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        s.setObservedGeneration(generation);
        s.setSelector(QuartetLabels.MANAGED_BY + "=" + QuartetLabels.MANAGED_BY_VALUE + "," + QuartetLabels.DEPLOYMENT
                + "=" + d.getMetadata().getName());
        s.setEndpoint(in.endpoint());
        int desired = in.autoscaling().map(AutoscalingReport::desired).orElseGet(() -> ReplicaTarget.of(d));
        List<Pod> live = in.pods().stream()
                .filter(p -> !PodFacts.isTerminating(p) && !PodFacts.isFinished(p))
                .toList();
        int ready = (int) live.stream().filter(PodFacts::isReady).count();
        s.setReplicas(live.size());
        s.setReadyReplicas(ready);
        s.setReplicaSummary(ready + "/" + desired);
        s.setDesiredReplicas(desired);
        s.setProfile(in.profile().orElse(previous.getProfile()));
        s.setMissingReplicas(in.unsatisfied().map(Unsatisfied::missing).orElse(0));
        s.setPlacements(placements(in.pods(), in.claimedSlices()));
        in.autoscaling().ifPresent(a -> s.setAutoscaling(granted(a, s.getMissingReplicas())));
        String id = d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
        List<ConditionMerger.Fresh> fresh =
                in.problems().isEmpty() ? conditions(id, in, desired, ready, live) : invalid(in.problems());
        if (in.problems().isEmpty() && in.autoscaling().isPresent()) {
            fresh = withScalingLimited(fresh, in.autoscaling().get(), in);
        }
        s.setConditions(merger.merge(previous.getConditions(), fresh, generation));
        return s;
    }

    private static AutoscalingStatus granted(AutoscalingReport a, int missing) {
        AutoscalingStatus decided = a.decision();
        AutoscalingStatus out = new AutoscalingStatus();
        out.setMetric(decided.getMetric());
        out.setCurrentTotal(decided.getCurrentTotal());
        out.setMeasuredReplicas(decided.getMeasuredReplicas());
        out.setRecommendedReplicas(decided.getRecommendedReplicas());
        out.setDesiredReplicas(decided.getDesiredReplicas());
        out.setGrantedReplicas(Math.max(0, decided.getDesiredReplicas() - missing));
        out.setLastScaleTime(decided.getLastScaleTime());
        return out;
    }

    /**
     * ScalingLimited, as the HPA's condition of that name: True when the slices give fewer replicas than the load
     * asks for (ScaleLimitedBySlices) or the load asks for more than maxReplicas (ScaleLimitedByMaxReplicas).
     */
    private static List<ConditionMerger.Fresh> withScalingLimited(
            List<ConditionMerger.Fresh> conditions, AutoscalingReport a, StatusInputs in) {
        ConditionMerger.Fresh limited;
        if (in.unsatisfied().isPresent()) {
            Unsatisfied u = in.unsatisfied().get();
            limited = new ConditionMerger.Fresh(
                    ConditionTypes.SCALING_LIMITED,
                    true,
                    Reasons.SCALE_LIMITED_BY_SLICES,
                    "wants " + a.desired() + " replicas (" + a.load() + "); the cluster's slices give "
                            + (a.desired() - u.missing()) + ": " + ShortfallMessage.message(u, a.desired(), List.of()));
        } else if (a.limitedByMax()) {
            limited = new ConditionMerger.Fresh(
                    ConditionTypes.SCALING_LIMITED,
                    true,
                    Reasons.SCALE_LIMITED_BY_MAX_REPLICAS,
                    "the load asks for more than maxReplicas " + a.maxReplicas() + " (" + a.load() + ")");
        } else {
            limited = new ConditionMerger.Fresh(
                    ConditionTypes.SCALING_LIMITED,
                    false,
                    Reasons.WITHIN_LIMITS,
                    a.desired() + " replicas for the load (" + a.load() + "), within " + a.minReplicas() + ".."
                            + a.maxReplicas());
        }
        List<ConditionMerger.Fresh> out = new ArrayList<>(conditions);
        out.add(limited);
        return out;
    }

    /**
     * The status after a reconcile failed with {@code message}: Degraded says why; Ready and Progressing stay as
     * they were (a failed API call does not stop running replicas), or say the same where there were none yet.
     * Nothing else is recomputed, so observedGeneration stays where the last full reconcile left it.
     */
    public InferenceDeploymentStatus failed(InferenceDeployment d, String reason, String message) {
        InferenceDeploymentStatus s = d.getStatus() == null ? new InferenceDeploymentStatus() : d.getStatus();
        List<Condition> previous = s.getConditions() == null ? List.of() : s.getConditions();
        long generation =
                d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        List<Condition> fresh = merger.merge(
                previous,
                List.of(
                        new ConditionMerger.Fresh(ConditionTypes.READY, false, reason, message),
                        new ConditionMerger.Fresh(ConditionTypes.PROGRESSING, false, reason, message),
                        new ConditionMerger.Fresh(ConditionTypes.DEGRADED, true, reason, message)),
                generation);
        s.setConditions(fresh.stream()
                .map(c -> ConditionTypes.DEGRADED.equals(c.getType())
                        ? c
                        : previous.stream()
                                .filter(p -> p.getType().equals(c.getType()))
                                .findFirst()
                                .orElse(c))
                .toList());
        return s;
    }

    private static List<ConditionMerger.Fresh> invalid(List<String> problems) {
        String message = String.join("; ", problems);
        return List.of(
                new ConditionMerger.Fresh(ConditionTypes.READY, false, Reasons.INVALID_SPEC, message),
                new ConditionMerger.Fresh(
                        ConditionTypes.PROGRESSING,
                        false,
                        Reasons.INVALID_SPEC,
                        "nothing is done for an invalid spec; fix it and apply again"),
                new ConditionMerger.Fresh(ConditionTypes.DEGRADED, true, Reasons.INVALID_SPEC, message));
    }

    private List<ConditionMerger.Fresh> conditions(
            String deployment, StatusInputs in, int desired, int ready, List<Pod> live) {
        // A node's failure is this deployment's only when its replicas are planned or run on the GPUs that change.
        Optional<NodeProgress> failure = in.nodes().values().stream()
                .filter(p -> p.failure() && p.deployments().contains(deployment))
                .min(Comparator.comparing(NodeProgress::node));
        List<String> repartitioning = in.nodes().values().stream()
                .filter(p -> !p.failure())
                .map(NodeProgress::node)
                .sorted()
                .toList();
        Instant now = Instant.now(clock);
        List<String> failing = live.stream()
                .map(p -> failure(p, now))
                .flatMap(Optional::stream)
                .toList();

        Optional<String> rolloutBlocked = rolloutBlocked(in, desired);
        ConditionMerger.Fresh degraded;
        if (failure.isPresent()) {
            degraded = new ConditionMerger.Fresh(
                    ConditionTypes.DEGRADED,
                    true,
                    failure.get().reason(),
                    failure.get().message());
        } else if (rolloutBlocked.isPresent()) {
            degraded = new ConditionMerger.Fresh(
                    ConditionTypes.DEGRADED, true, Reasons.ROLLOUT_BLOCKED, rolloutBlocked.get());
        } else if (in.autoscaling().flatMap(AutoscalingReport::conflictingHpa).isPresent()) {
            degraded = new ConditionMerger.Fresh(
                    ConditionTypes.DEGRADED,
                    true,
                    Reasons.AUTOSCALING_CONFLICT,
                    "HorizontalPodAutoscaler "
                            + in.autoscaling().get().conflictingHpa().get()
                            + " also scales this deployment; with spec.autoscaling Quartet sets the replicas and"
                            + " ignores spec.replicas, so the HPA's changes have no effect: delete the HPA, or remove"
                            + " spec.autoscaling to let the HPA decide");
        } else if (in.unsatisfied().isPresent() && !in.shortfallWithinAutoscaling()) {
            Unsatisfied u = in.unsatisfied().get();
            degraded = new ConditionMerger.Fresh(
                    ConditionTypes.DEGRADED,
                    true,
                    u.reason().name(),
                    ShortfallMessage.message(u, desired, in.wouldFit())
                            + in.capacityNote().map(n -> "; " + n).orElse("")
                            + pins(in));

        } else if (!failing.isEmpty()) {
            degraded = new ConditionMerger.Fresh(
                    ConditionTypes.DEGRADED,
                    true,
                    Reasons.REPLICAS_FAILING,
                    String.join("; ", failing) + "; see kubectl describe pod and the worker log");
        } else {
            degraded = new ConditionMerger.Fresh(
                    ConditionTypes.DEGRADED, false, Reasons.AS_EXPECTED, "no problem found" + pins(in));
        }

        boolean starting = live.size() != ready
                || live.size()
                        < desired - in.unsatisfied().map(Unsatisfied::missing).orElse(0);
        ConditionMerger.Fresh progressing;
        if (!repartitioning.isEmpty()) {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING,
                    true,
                    Reasons.REPARTITIONING,
                    "repartitioning GPUs on " + String.join(", ", repartitioning) + " for this deployment: "
                            + in.nodes().get(repartitioning.get(0)).message());
        } else if (rolloutBlocked.isPresent()) {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING, false, Reasons.ROLLOUT_BLOCKED, rolloutBlocked.get());
        } else if (in.rollout().underWay()) {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING,
                    true,
                    Reasons.ROLLING_OUT,
                    "replacing replicas created from an older spec, one at a time");
        } else if (!in.waitingNodes().isEmpty()) {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING,
                    true,
                    Reasons.WAITING_FOR_REPARTITION,
                    "new replicas wait until " + String.join(", ", in.waitingNodes()) + " can take pods");
        } else if (live.size() > desired) {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING,
                    true,
                    Reasons.SCALING_DOWN,
                    "removing " + (live.size() - desired) + " replicas");
        } else if (starting || in.changed()) {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING,
                    true,
                    Reasons.REPLICAS_STARTING,
                    ready + " of " + live.size() + " replica pods ready");
        } else {
            progressing = new ConditionMerger.Fresh(
                    ConditionTypes.PROGRESSING,
                    false,
                    Reasons.STABLE,
                    "every replica the cluster has a slice for is placed");
        }

        ConditionMerger.Fresh readyCondition;
        // Autoscaling held back by slices above its minimum serves with what it was granted: that is Ready.
        int needed = in.shortfallWithinAutoscaling()
                ? desired - in.unsatisfied().get().missing()
                : desired;
        if (desired == 0) {
            readyCondition = new ConditionMerger.Fresh(
                    ConditionTypes.READY, true, Reasons.SCALED_TO_ZERO, "0 replicas requested");
        } else if (ready >= needed) {
            readyCondition = new ConditionMerger.Fresh(
                    ConditionTypes.READY,
                    true,
                    Reasons.ALL_REPLICAS_READY,
                    ready + "/" + desired + " replicas ready"
                            + (needed < desired ? " (" + needed + " granted by the cluster's slices)" : ""));
        } else {
            String reason = degraded.status()
                    ? degraded.reason()
                    : progressing.status() ? progressing.reason() : Reasons.REPLICAS_STARTING;
            readyCondition = new ConditionMerger.Fresh(
                    ConditionTypes.READY, false, reason, ready + "/" + desired + " replicas ready");
        }
        return List.of(readyCondition, progressing, degraded);
    }

    /**
     * Why replicas are pinned pessimistically (nodes without a node agent), said after a Degraded message: not a
     * problem of the deployment, but why GPUs it could use are not repartitioned.
     */
    private static String pins(StatusInputs in) {
        return in.pessimisticPins().isEmpty() ? "" : "; " + String.join("; ", in.pessimisticPins());
    }

    /** A Warning Event's reason and message. */
    public record Shortfall(String reason, String message) {}

    /**
     * The Event for a replica shortfall, from the status built for it: the rollout's reason and message when a
     * blocked rollout is what holds the replicas back, else the Degraded condition's reason and message (the
     * planner's reason, what it means and what would fit the replicas).
     */
    public static Shortfall shortfall(InferenceDeploymentStatus status, Unsatisfied u, int replicas) {
        return status.getConditions().stream()
                .filter(c -> ConditionTypes.DEGRADED.equals(c.getType())
                        && (Reasons.ROLLOUT_BLOCKED.equals(c.getReason())
                                || u.reason().name().equals(c.getReason())))
                .findFirst()
                .map(c -> new Shortfall(c.getReason(), c.getMessage()))
                .orElseGet(() -> new Shortfall(u.reason().name(), ShortfallMessage.headline(u, replicas)));
    }

    /**
     * Why a rollout cannot go on, or empty: replacements have no slice while maxUnavailable keeps the replicas of
     * the old spec (which may hold the very GPUs the replacements need) until a replacement is Ready.
     */
    private static Optional<String> rolloutBlocked(StatusInputs in, int desired) {
        RolloutProgress r = in.rollout();
        if (!r.heldBack() || in.unsatisfied().isEmpty()) {
            return Optional.empty();
        }
        Unsatisfied u = in.unsatisfied().get();
        return Optional.of("the rollout cannot go on: " + replicas(u.missing()) + " of the changed spec "
                + (u.missing() == 1 ? "has" : "have") + " no MIG slice ("
                + u.reason().name() + "), and "
                + "spec.maxUnavailable " + r.maxUnavailable() + " keeps the " + replicas(r.oldReplicas())
                + " still on the old spec until a replacement is Ready; if the new replicas need the GPUs those "
                + "hold, raise spec.maxUnavailable (at most " + desired + ") to let old replicas go first, else add "
                + "or free slices");
    }

    private static String replicas(int n) {
        return n == 1 ? "1 replica" : n + " replicas";
    }

    /**
     * Why a replica pod cannot serve without someone acting, or empty: its worker keeps restarting, its image
     * cannot be pulled, its container cannot be created (a missing Secret or ConfigMap, a root image refused by
     * runAsNonRoot), or the scheduler has refused it for {@link #UNSCHEDULABLE_AFTER} (a node's slices are
     * re-advertised for a moment after a repartition).
     */
    private static Optional<String> failure(Pod pod, Instant now) {
        String name = pod.getMetadata().getName();
        if (pod.getStatus() == null) {
            return Optional.empty();
        }
        for (ContainerStatus c : pod.getStatus().getContainerStatuses() == null
                ? List.<ContainerStatus>of()
                : pod.getStatus().getContainerStatuses()) {
            ContainerStateWaiting waiting =
                    c.getState() == null ? null : c.getState().getWaiting();
            if (waiting != null && STUCK_WAITING.contains(waiting.getReason())) {
                return Optional.of(name + " failing: " + waiting.getReason()
                        + (waiting.getMessage() == null ? "" : " (" + waiting.getMessage() + ")"));
            }
            Optional<ContainerStateTerminated> ended = lastEnd(c);
            if (ended.isPresent()
                    && Integer.valueOf(REFUSED_EXIT_CODE).equals(ended.get().getExitCode())
                    && !Boolean.TRUE.equals(c.getReady())) {
                return Optional.of(name + " failing: the worker refuses to serve: "
                        + Optional.ofNullable(ended.get().getMessage())
                                .map(String::strip)
                                .orElse("exit code " + REFUSED_EXIT_CODE + " (see its log)"));
            }
            if (c.getRestartCount() != null && c.getRestartCount() >= 3 && !Boolean.TRUE.equals(c.getReady())) {
                return Optional.of(name + " failing: restarted " + c.getRestartCount() + " times"
                        + ended.map(StatusBuilder::lastWords).orElse(""));
            }
        }
        return pod.getStatus().getConditions() == null
                ? Optional.empty()
                : pod.getStatus().getConditions().stream()
                        .filter(c -> "PodScheduled".equals(c.getType())
                                && "False".equals(c.getStatus())
                                && "Unschedulable".equals(c.getReason())
                                && c.getLastTransitionTime() != null
                                && Instant.parse(c.getLastTransitionTime())
                                        .plus(UNSCHEDULABLE_AFTER)
                                        .isBefore(now))
                        .findFirst()
                        .map(c -> name + " failing: unschedulable since " + c.getLastTransitionTime()
                                + (c.getMessage() == null ? "" : " (" + c.getMessage() + ")"));
    }

    /** How the container last ended: now (terminated) or before its current run (lastState). */
    private static Optional<ContainerStateTerminated> lastEnd(ContainerStatus c) {
        if (c.getState() != null && c.getState().getTerminated() != null) {
            return Optional.of(c.getState().getTerminated());
        }
        return Optional.ofNullable(c.getLastState()).map(ContainerState::getTerminated);
    }

    /** The exit code and the termination message's last line (the worker's reason, or its log's end), if any. */
    private static String lastWords(ContainerStateTerminated t) {
        String message = t.getMessage() == null ? "" : t.getMessage().strip();
        String last = message.isEmpty() ? "" : message.substring(message.lastIndexOf('\n') + 1);
        if (last.length() > 300) {
            last = last.substring(0, 300) + "...";
        }
        return "; last exit code " + t.getExitCode() + (last.isEmpty() ? "" : ": " + last);
    }

    private static List<ReplicaPlacement> placements(List<Pod> pods, Map<String, ReplicaSlice> claimed) {
        List<ReplicaPlacement> out = new ArrayList<>();
        pods.stream()
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .forEach(p -> {
                    Optional<ReplicaSlice> slice =
                            Optional.ofNullable(claimed.get(PodFacts.id(p))).or(() -> ReplicaSlice.of(p));
                    String node = PodFacts.nodeOrPlanned(p);
                    String profile = slice.map(ReplicaSlice::profile).orElse(PodFacts.replicaProfile(p));
                    out.add(new ReplicaPlacement(
                            p.getMetadata().getName(),
                            node,
                            slice.map(ReplicaSlice::gpu).orElse(null),
                            profile,
                            slice.map(ReplicaSlice::start).orElse(null),
                            slice.map(ReplicaSlice::uuid).orElse(null),
                            state(p)));
                });
        return out;
    }

    private static String state(Pod p) {
        if (PodFacts.isTerminating(p)) {
            return "Terminating";
        }
        if (PodFacts.isReady(p)) {
            return "Ready";
        }
        return p.getStatus() == null || p.getStatus().getPhase() == null
                ? "Pending"
                : p.getStatus().getPhase();
    }
}
