package dev.quartet.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.AutoscalingStatus;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.InferenceDeploymentStatus;
import dev.quartet.model.ReplicaPlacement;
import dev.quartet.model.TestDeployments;
import dev.quartet.planner.Unsatisfied;
import dev.quartet.planner.UnsatisfiedReason;
import dev.quartet.status.NodeProgress.Phase;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class StatusBuilderTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final String ENDPOINT = "resnet.ml.svc.cluster.local:8080";

    private final StatusBuilder builder = new StatusBuilder(Clock.fixed(NOW, ZoneOffset.UTC));

    private static InferenceDeployment deployment(int replicas) {
        InferenceDeploymentSpec spec = TestDeployments.spec("1g.6gb", replicas);
        InferenceDeployment d = new InferenceDeployment();
        d.setMetadata(new ObjectMetaBuilder()
                .withName("resnet")
                .withNamespace("ml")
                .withGeneration(5L)
                .build());
        d.setSpec(spec);
        return d;
    }

    /** A replica pod of ml/resnet bound to {@code node}. */
    private static PodBuilder replica(String name, String node, boolean ready) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("ml")
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, "resnet")
                .addToLabels(QuartetLabels.PROFILE, "1g.6gb")
                .addToAnnotations(QuartetLabels.PLANNED_NODE, node)
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
    }

    private static Pod ready(String name, String node) {
        return replica(name, node, true).build();
    }

    private static Pod starting(String name, String node) {
        return replica(name, node, false).build();
    }

    /** What one reconcile gathered; every test changes only what it is about. */
    private static final class Inputs {
        List<String> problems = List.of();
        List<Pod> pods = new ArrayList<>();
        Optional<String> profile = Optional.of("1g.6gb");
        Optional<Unsatisfied> unsatisfied = Optional.empty();
        Map<String, NodeProgress> nodes = new TreeMap<>();
        Set<String> waitingNodes = Set.of();
        RolloutProgress rollout = RolloutProgress.NONE;
        boolean changed;
        List<String> wouldFit = List.of();
        Optional<String> capacityNote = Optional.empty();
        Optional<AutoscalingReport> autoscaling = Optional.empty();

        Inputs pods(Pod... p) {
            pods = List.of(p);
            return this;
        }

        Inputs node(String name, Phase phase, String reason, String message) {
            return node(name, phase, reason, message, Set.of("ml/resnet"));
        }

        /** A node's report that names the deployments its change affects. */
        Inputs node(String name, Phase phase, String reason, String message, Set<String> affected) {
            nodes.put(name, new NodeProgress(name, phase, reason, message, List.of(0), affected));
            return this;
        }

        StatusInputs build() {
            return new StatusInputs(
                    problems,
                    pods,
                    "abc123",
                    profile,
                    unsatisfied,
                    nodes,
                    waitingNodes,
                    rollout,
                    changed,
                    ENDPOINT,
                    wouldFit,
                    capacityNote,
                    autoscaling);
        }
    }

    private static Condition condition(InferenceDeploymentStatus s, String type) {
        return s.getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst()
                .orElseThrow();
    }

    private static String summary(Condition c) {
        return c.getType() + "=" + c.getStatus() + "/" + c.getReason();
    }

    private static List<String> summaries(InferenceDeploymentStatus s) {
        return s.getConditions().stream().map(StatusBuilderTest::summary).toList();
    }

    @Test
    void anInvalidSpecIsReportedOnEveryCondition() {
        Inputs in = new Inputs();
        in.problems = List.of(
                "spec.replicas: must be 0 or more, got -1",
                "spec.slice: set exactly one of profile " + "and memoryGiB");
        in.profile = Optional.empty();

        InferenceDeploymentStatus s = builder.build(deployment(1), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=False/InvalidSpec", "Progressing=False/InvalidSpec", "Degraded=True/InvalidSpec");
        assertThat(condition(s, "Ready").getMessage())
                .isEqualTo(
                        "spec.replicas: must be 0 or more, got -1; spec.slice: set exactly one of profile and memoryGiB");
        assertThat(condition(s, "Degraded").getMessage())
                .isEqualTo(condition(s, "Ready").getMessage());
        assertThat(s.getObservedGeneration()).isEqualTo(5L);
    }

    @Test
    void aFailedReconcileSaysWhyInDegradedAndLeavesTheRestAsItWas() {
        InferenceDeployment d = deployment(2);
        d.setStatus(builder.build(
                d,
                new Inputs()
                        .pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-2"))
                        .build()));
        String message = "Service resnet already exists in namespace ml and is not this deployment's; rename the "
                + "InferenceDeployment or remove that Service";

        InferenceDeploymentStatus s = builder.failed(d, "NameConflict", message);

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=True/AllReplicasReady", "Progressing=False/Stable", "Degraded=True/NameConflict");
        assertThat(condition(s, "Degraded").getMessage()).isEqualTo(message);
        assertThat(s.getReadyReplicas()).isEqualTo(2);

        InferenceDeploymentStatus first = builder.failed(deployment(2), "NameConflict", message);
        assertThat(summaries(first))
                .containsExactly(
                        "Ready=False/NameConflict", "Progressing=False/NameConflict", "Degraded=True/NameConflict");
    }

    @Test
    void allReplicasReady() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-2"));

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=True/AllReplicasReady", "Progressing=False/Stable", "Degraded=False/AsExpected");
        assertThat(condition(s, "Ready").getMessage()).isEqualTo("2/2 replicas ready");
        assertThat(s.getReplicaSummary()).isEqualTo("2/2");
        assertThat(s.getReplicas()).isEqualTo(2);
        assertThat(s.getReadyReplicas()).isEqualTo(2);
        assertThat(s.getMissingReplicas()).isZero();
        assertThat(s.getProfile()).isEqualTo("1g.6gb");
        assertThat(s.getEndpoint()).isEqualTo(ENDPOINT);
        assertThat(s.getSelector())
                .isEqualTo("app.kubernetes.io/managed-by=quartet,inference.quartet.dev/deployment=resnet");
        assertThat(s.getObservedGeneration()).isEqualTo(5L);
        assertThat(s.getConditions())
                .extracting(Condition::getObservedGeneration)
                .containsOnly(5L);
    }

    @Test
    void scaledToZero() {
        InferenceDeploymentStatus s = builder.build(deployment(0), new Inputs().build());

        assertThat(summaries(s))
                .containsExactly("Ready=True/ScaledToZero", "Progressing=False/Stable", "Degraded=False/AsExpected");
        assertThat(s.getReplicaSummary()).isEqualTo("0/0");
    }

    @Test
    void replicasStillStartingAreProgress() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"), starting("resnet-1", "gpu-1"));

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=False/ReplicasStarting",
                        "Progressing=True/ReplicasStarting",
                        "Degraded=False/AsExpected");
        assertThat(condition(s, "Progressing").getMessage()).isEqualTo("1 of 2 replica pods ready");
        assertThat(s.getReplicaSummary()).isEqualTo("1/2");
    }

    @Test
    void aShortfallSaysWhatWouldFitTheReplicasWhenPlanningAgainFoundIt() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"));
        in.unsatisfied = Optional.of(new Unsatisfied("ml/resnet", 2, UnsatisfiedReason.InsufficientSlices));
        in.wouldFit = List.of("raise spec.priority to 11 (now 0): 2 more replicas fit", "add a node like gpu-1");

        InferenceDeploymentStatus s = builder.build(deployment(3), in.build());

        assertThat(condition(s, "Degraded").getMessage())
                .isEqualTo("2 of 3 replicas have no MIG slice: every GPU that could hold this profile is full;"
                        + " would fit: raise spec.priority to 11 (now 0): 2 more replicas fit;"
                        + " would fit: add a node like gpu-1");
        assertThat(condition(s, "Degraded").getObservedGeneration()).isEqualTo(s.getObservedGeneration());
    }

    /** Autoscaling that decided {@code desired} replicas for 9.5 requests in flight over {@code measured} replicas. */
    private static AutoscalingReport autoscaled(int desired, int min, int max, Optional<String> hpa) {
        AutoscalingStatus a = new AutoscalingStatus();
        a.setMetric("inFlightPerReplica");
        a.setCurrentTotal("9.50");
        a.setMeasuredReplicas(2);
        a.setRecommendedReplicas(desired);
        a.setDesiredReplicas(desired);
        a.setLastScaleTime("2024-05-01T11:59:00Z");
        return new AutoscalingReport(a, min, max, "requests in flight", 2, false, hpa);
    }

    @Test
    void autoscalingHeldBackBySlicesAboveItsMinimumIsReadyAndNotDegraded() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-1"));
        in.unsatisfied = Optional.of(new Unsatisfied("ml/resnet", 3, UnsatisfiedReason.InsufficientSlices));
        in.autoscaling = Optional.of(autoscaled(5, 1, 6, Optional.empty()));

        InferenceDeploymentStatus s = builder.build(deployment(1), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=True/AllReplicasReady",
                        "Progressing=False/Stable",
                        "Degraded=False/AsExpected",
                        "ScalingLimited=True/ScaleLimitedBySlices");
        assertThat(condition(s, "ScalingLimited").getMessage())
                .startsWith("wants 5 replicas (requests in flight 9.50 over 2 Ready replicas, target 2 per replica);"
                        + " the cluster's slices give 2: 3 of 5 replicas have no MIG slice");
        assertThat(s.getDesiredReplicas())
                .as("the autoscaler's count, not spec.replicas")
                .isEqualTo(5);
        assertThat(s.getReplicaSummary()).isEqualTo("2/5");
        assertThat(s.getAutoscaling().getGrantedReplicas()).isEqualTo(2);
        assertThat(s.getAutoscaling().getDesiredReplicas()).isEqualTo(5);
    }

    @Test
    void autoscalingBelowItsMinimumIsDegradedAsAnyShortfall() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"));
        in.unsatisfied = Optional.of(new Unsatisfied("ml/resnet", 2, UnsatisfiedReason.InsufficientSlices));
        in.autoscaling = Optional.of(autoscaled(3, 3, 6, Optional.empty()));

        InferenceDeploymentStatus s = builder.build(deployment(1), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/InsufficientSlices");
        assertThat(summary(condition(s, "Ready"))).isEqualTo("Ready=False/InsufficientSlices");
        assertThat(summary(condition(s, "ScalingLimited"))).isEqualTo("ScalingLimited=True/ScaleLimitedBySlices");
    }

    @Test
    void autoscalingWithinItsLimitsAndAnHpaConflict() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-1"));
        in.autoscaling = Optional.of(autoscaled(2, 1, 6, Optional.empty()));
        InferenceDeploymentStatus s = builder.build(deployment(7), in.build());
        assertThat(summaries(s))
                .containsExactly(
                        "Ready=True/AllReplicasReady",
                        "Progressing=False/Stable",
                        "Degraded=False/AsExpected",
                        "ScalingLimited=False/WithinLimits");

        in.autoscaling = Optional.of(autoscaled(2, 1, 6, Optional.of("resnet-hpa")));
        s = builder.build(deployment(7), in.build());
        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/AutoscalingConflict");
        assertThat(condition(s, "Degraded").getMessage())
                .startsWith("HorizontalPodAutoscaler resnet-hpa also scales this deployment");
    }

    @Test
    void withoutAutoscalingThereIsNoScalingLimitedCondition() {
        InferenceDeploymentStatus s = builder.build(
                deployment(1), new Inputs().pods(ready("resnet-0", "gpu-1")).build());
        assertThat(s.getConditions()).extracting(Condition::getType).doesNotContain("ScalingLimited");
        assertThat(s.getAutoscaling()).isNull();
        assertThat(s.getDesiredReplicas()).isEqualTo(1);
    }

    @Test
    void insufficientSlicesNamesTheMissingCount() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"));
        in.unsatisfied = Optional.of(new Unsatisfied("ml/resnet", 2, UnsatisfiedReason.InsufficientSlices));

        InferenceDeploymentStatus s = builder.build(deployment(3), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=False/InsufficientSlices",
                        "Progressing=False/Stable",
                        "Degraded=True/InsufficientSlices");
        assertThat(condition(s, "Degraded").getMessage()).startsWith("2 of 3 replicas have no MIG slice: ");
        assertThat(condition(s, "Ready").getMessage()).isEqualTo("1/3 replicas ready");
        assertThat(s.getMissingReplicas()).isEqualTo(2);
        assertThat(s.getReplicaSummary()).isEqualTo("1/3");
    }

    @Test
    void aHeldBackRolloutWithUnplacedReplacementsIsBlockedAndItsEventSaysSo() {
        Inputs in = new Inputs().pods(ready("resnet-1", "gpu-1"), ready("resnet-2", "gpu-1"));
        Unsatisfied missing = new Unsatisfied("ml/resnet", 3, UnsatisfiedReason.BlockedByRunningReplicas);
        in.unsatisfied = Optional.of(missing);
        in.rollout = new RolloutProgress(true, 2, 1, true);

        InferenceDeploymentStatus s = builder.build(deployment(3), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=False/RolloutBlocked",
                        "Progressing=False/RolloutBlocked",
                        "Degraded=True/RolloutBlocked");
        assertThat(condition(s, "Degraded").getMessage())
                .startsWith("the rollout cannot go on: 3 replicas of the "
                        + "changed spec have no MIG slice (BlockedByRunningReplicas), and spec.maxUnavailable 1 keeps the 2 "
                        + "replicas still on the old spec");
        assertThat(StatusBuilder.shortfall(s, missing, 3))
                .isEqualTo(new StatusBuilder.Shortfall(
                        "RolloutBlocked", condition(s, "Degraded").getMessage()));

        in.rollout = new RolloutProgress(true, 2, 1, false);
        InferenceDeploymentStatus moving = builder.build(deployment(3), in.build());
        assertThat(summaries(moving))
                .containsExactly(
                        "Ready=False/BlockedByRunningReplicas",
                        "Progressing=True/RollingOut",
                        "Degraded=True/BlockedByRunningReplicas");
        assertThat(StatusBuilder.shortfall(moving, missing, 3))
                .as("the event says what the Degraded condition says")
                .isEqualTo(new StatusBuilder.Shortfall(
                        "BlockedByRunningReplicas",
                        "3 of 3 replicas have no MIG slice: free slices exist only on GPUs whose running replicas may"
                                + " not move; what may help: set movable: true on those deployments or free the GPUs"))
                .isEqualTo(new StatusBuilder.Shortfall(
                        "BlockedByRunningReplicas",
                        condition(moving, "Degraded").getMessage()));
    }

    @Test
    void aMigManagerTimeoutIsReportedWithItsMessageAndOutranksTheShortfall() {
        String message = "MIG Manager did not apply quartet-0a1b2c3d4e on gpu-2 within 10m; rolled back to "
                + "all-1g.6gb, next attempt after 2024-05-01T12:15:00Z";
        Inputs in = new Inputs()
                .pods(ready("resnet-0", "gpu-1"))
                .node("gpu-2", Phase.FAILED, Reasons.MIG_MANAGER_TIMEOUT, message);
        in.unsatisfied = Optional.of(new Unsatisfied("ml/resnet", 1, UnsatisfiedReason.InsufficientSlices));

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/MigManagerTimeout");
        assertThat(condition(s, "Degraded").getMessage()).isEqualTo(message);
        assertThat(summary(condition(s, "Ready"))).isEqualTo("Ready=False/MigManagerTimeout");
        assertThat(condition(s, "Progressing").getReason()).isNotEqualTo(Reasons.REPARTITIONING);
        assertThat(s.getMissingReplicas()).isEqualTo(1);
    }

    @Test
    void aMigManagerFailureIsReportedWithItsMessage() {
        String message = "MIG Manager failed to apply quartet-0a1b2c3d4e on gpu-2; rolled back to all-1g.6gb";
        Inputs in = new Inputs()
                .node("gpu-2", Phase.FAILED, Reasons.MIG_MANAGER_FAILED, message)
                .node("gpu-1", Phase.APPLYING, Reasons.REPARTITIONING, "set nvidia.com/mig.config on gpu-1");

        InferenceDeploymentStatus s = builder.build(deployment(1), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/MigManagerFailed");
        assertThat(condition(s, "Degraded").getMessage()).isEqualTo(message);
        assertThat(summary(condition(s, "Ready"))).isEqualTo("Ready=False/MigManagerFailed");
        assertThat(summary(condition(s, "Progressing"))).isEqualTo("Progressing=True/Repartitioning");
        assertThat(condition(s, "Progressing").getMessage()).contains("gpu-1").doesNotContain("gpu-2");
    }

    @Test
    void aNodeFailureIsReportedOnlyByTheDeploymentsItsChangeAffects() {
        String message = "MIG Manager reported failed on node gpu-2 applying quartet-0a1b2c3d4e";
        Inputs in = new Inputs()
                .pods(ready("resnet-0", "gpu-2"), starting("resnet-1", "gpu-2"))
                .node("gpu-2", Phase.FAILED, Reasons.MIG_MANAGER_FAILED, message, Set.of("ml/other"));

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=False/AsExpected");
        assertThat(condition(s, "Ready").getReason()).isNotEqualTo(Reasons.MIG_MANAGER_FAILED);
    }

    @Test
    void aStepTheApiServerRefusedIsReportedByTheAffectedDeployment() {
        String message = "a step of the repartition of node gpu-2 failed (IDLE -> STAGED): forbidden";
        Inputs in = new Inputs()
                .pods(ready("resnet-0", "gpu-1"))
                .node("gpu-2", Phase.FAILED, Reasons.REPARTITION_STEP_FAILED, message);

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/RepartitionStepFailed");
        assertThat(condition(s, "Degraded").getMessage()).isEqualTo(message);
    }

    @Test
    void aShortfallSaysWhichGpusHaveMigModeOff() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"));
        in.unsatisfied = Optional.of(new Unsatisfied("ml/resnet", 1, UnsatisfiedReason.InsufficientSlices));
        in.capacityNote = Optional.of("GPU(s) [0, 1] of gpu-2 have MIG mode off; Quartet changes MIG mode only when"
                + " the chart value migManager.allowMigModeChange is true");

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/InsufficientSlices");
        assertThat(condition(s, "Degraded").getMessage())
                .startsWith("1 of 2 replicas have no MIG slice: every GPU that could hold this profile is full")
                .endsWith("; GPU(s) [0, 1] of gpu-2 have MIG mode off; Quartet changes MIG mode only when the chart"
                        + " value migManager.allowMigModeChange is true");
    }

    @Test
    void aDrainRefusedByADisruptionBudgetIsReported() {
        String message = "evicting ml/resnet-0 from gpu-1 is refused by its PodDisruptionBudget";
        Inputs in = new Inputs()
                .pods(ready("resnet-0", "gpu-1"))
                .node("gpu-1", Phase.DRAIN_BLOCKED, Reasons.DRAIN_BLOCKED_BY_DISRUPTION_BUDGET, message);

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/DrainBlockedByDisruptionBudget");
        assertThat(condition(s, "Degraded").getMessage()).isEqualTo(message);
        assertThat(summary(condition(s, "Ready"))).isEqualTo("Ready=False/DrainBlockedByDisruptionBudget");
    }

    @Test
    void repartitioningWhileNodesAreDrainedOrApplied() {
        Inputs in = new Inputs()
                .pods(ready("resnet-0", "gpu-1"))
                .node("gpu-3", Phase.APPLYING, Reasons.REPARTITIONING, "set nvidia.com/mig.config on gpu-3")
                .node("gpu-2", Phase.DRAINING, Reasons.DRAINING, "draining GPU(s) [0] on gpu-2");

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=False/Repartitioning", "Progressing=True/Repartitioning", "Degraded=False/AsExpected");
        assertThat(condition(s, "Progressing").getMessage())
                .isEqualTo("repartitioning GPUs on gpu-2, gpu-3 for this deployment: draining GPU(s) [0] on gpu-2");
    }

    @Test
    void waitingRollingOutAndScalingDownAreProgress() {
        Inputs waiting = new Inputs().pods(ready("resnet-0", "gpu-1"));
        waiting.waitingNodes = Set.of("gpu-4");
        Inputs rolling = new Inputs().pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-1"));
        rolling.rollout = new RolloutProgress(true, 2, 1, false);
        Inputs tooMany =
                new Inputs().pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-1"), ready("resnet-2", "gpu-2"));

        assertThat(summary(condition(builder.build(deployment(2), waiting.build()), "Progressing")))
                .isEqualTo("Progressing=True/WaitingForRepartition");
        assertThat(summary(condition(builder.build(deployment(2), rolling.build()), "Progressing")))
                .isEqualTo("Progressing=True/RollingOut");
        InferenceDeploymentStatus scalingDown = builder.build(deployment(2), tooMany.build());
        assertThat(summary(condition(scalingDown, "Progressing"))).isEqualTo("Progressing=True/ScalingDown");
        assertThat(condition(scalingDown, "Progressing").getMessage()).isEqualTo("removing 1 replicas");
    }

    @Test
    void replicasThatKeepCrashingAreDegraded() {
        Pod crashing = replica("resnet-1", "gpu-1", false)
                .editStatus()
                .addNewContainerStatus()
                .withName("worker")
                .withRestartCount(4)
                .withReady(false)
                .endContainerStatus()
                .endStatus()
                .build();
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"), crashing);

        InferenceDeploymentStatus s = builder.build(deployment(2), in.build());

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=True/ReplicasFailing");
        assertThat(condition(s, "Degraded").getMessage()).startsWith("resnet-1 failing: restarted 4 times");
    }

    @Test
    void aWorkerThatRefusesToServeOnTheCpuIsFailingAtItsFirstExitWithItsReason() {
        String why = "Not serving model resnet: this replica was given MIG device MIG-2f6e but its engine runs on the"
                + " CPU (...); use a GPU worker image, or set spec.worker.allowCpuFallback: true";
        Pod refused = replica("resnet-1", "gpu-1", false)
                .editStatus()
                .addNewContainerStatus()
                .withName("worker")
                .withRestartCount(1)
                .withReady(false)
                .withNewState()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .endWaiting()
                .endState()
                .withNewLastState()
                .withNewTerminated()
                .withExitCode(78)
                .withReason("Error")
                .withMessage(why + "\n")
                .endTerminated()
                .endLastState()
                .endContainerStatus()
                .endStatus()
                .build();

        InferenceDeploymentStatus s =
                builder.build(deployment(1), new Inputs().pods(refused).build());

        assertThat(summaries(s)).contains("Ready=False/ReplicasFailing", "Degraded=True/ReplicasFailing");
        assertThat(condition(s, "Degraded").getMessage())
                .isEqualTo("resnet-1 failing: the worker refuses to serve: " + why
                        + "; see kubectl describe pod and the worker log");
    }

    @Test
    void aCrashLoopSaysHowTheWorkerLastEnded() {
        Pod crashing = replica("resnet-1", "gpu-1", false)
                .editStatus()
                .addNewContainerStatus()
                .withName("worker")
                .withRestartCount(3)
                .withReady(false)
                .withNewLastState()
                .withNewTerminated()
                .withExitCode(1)
                .withMessage("INFO starting\nERROR Cannot serve model resnet: sha256 mismatch")
                .endTerminated()
                .endLastState()
                .endContainerStatus()
                .endStatus()
                .build();
        Pod once = replica("resnet-1", "gpu-1", false)
                .editStatus()
                .addNewContainerStatus()
                .withName("worker")
                .withRestartCount(1)
                .withReady(false)
                .withNewLastState()
                .withNewTerminated()
                .withExitCode(1)
                .endTerminated()
                .endLastState()
                .endContainerStatus()
                .endStatus()
                .build();

        assertThat(condition(
                                builder.build(
                                        deployment(1),
                                        new Inputs().pods(crashing).build()),
                                "Degraded")
                        .getMessage())
                .startsWith("resnet-1 failing: restarted 3 times; last exit code 1: ERROR Cannot serve model resnet:"
                        + " sha256 mismatch");
        // One ordinary crash is not failing yet: the kubelet's restart may fix it.
        assertThat(summary(condition(
                        builder.build(deployment(1), new Inputs().pods(once).build()), "Degraded")))
                .isEqualTo("Degraded=False/AsExpected");
    }

    @Test
    void anImageThatCannotBePulledIsDegradedAtOnce() {
        Pod pulling = replica("resnet-1", "gpu-1", false)
                .editStatus()
                .withPhase("Pending")
                .addNewContainerStatus()
                .withName("worker")
                .withRestartCount(0)
                .withReady(false)
                .withNewState()
                .withNewWaiting()
                .withReason("ImagePullBackOff")
                .withMessage("Back-off pulling image \"quartet-worker:typo\"")
                .endWaiting()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build();

        InferenceDeploymentStatus s =
                builder.build(deployment(1), new Inputs().pods(pulling).build());

        assertThat(summaries(s))
                .containsExactly(
                        "Ready=False/ReplicasFailing",
                        "Progressing=True/ReplicasStarting",
                        "Degraded=True/ReplicasFailing");
        assertThat(condition(s, "Degraded").getMessage())
                .isEqualTo("resnet-1 failing: ImagePullBackOff (Back-off "
                        + "pulling image \"quartet-worker:typo\"); see kubectl describe pod and the worker log");
    }

    @Test
    void aReplicaTheSchedulerKeepsRefusingIsDegradedAfterTwoMinutes() {
        Pod refused = new PodBuilder(replica("resnet-0", "gpu-1", false).build())
                .editSpec()
                .withNodeName(null)
                .endSpec()
                .editStatus()
                .withPhase("Pending")
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("False")
                .withReason("Unschedulable")
                .withMessage("0/2 nodes are available")
                .withLastTransitionTime(NOW.minusSeconds(150).toString())
                .endCondition()
                .endStatus()
                .build();
        Pod justRefused = new PodBuilder(refused)
                .editStatus()
                .editMatchingCondition(c -> "PodScheduled".equals(c.getType()))
                .withLastTransitionTime(NOW.minusSeconds(30).toString())
                .endCondition()
                .endStatus()
                .build();

        assertThat(condition(
                                builder.build(
                                        deployment(1),
                                        new Inputs().pods(refused).build()),
                                "Degraded")
                        .getMessage())
                .startsWith("resnet-0 failing: unschedulable since 2024-05-01T11:57:30Z (0/2 nodes");
        assertThat(summary(condition(
                        builder.build(
                                deployment(1), new Inputs().pods(justRefused).build()),
                        "Degraded")))
                .isEqualTo("Degraded=False/AsExpected");
    }

    @Test
    void placementsComeFromTheMigDeviceAnnotation() {
        Pod placed = replica("resnet-0", "gpu-1", true)
                .editMetadata()
                .addToAnnotations(
                        QuartetLabels.MIG_DEVICE,
                        "{\"gpu\":1,\"profile\":\"1g.6gb\",\"start\":2,\"uuid\":\"MIG-2f6e0c1a\"}")
                .endMetadata()
                .build();
        Pod unknown = replica("resnet-1", "gpu-2", false).build();
        Pod planned = replica("resnet-2", "gpu-3", false)
                .editMetadata()
                .addToLabels(QuartetLabels.PROFILE, "1g.6gb.me")
                .endMetadata()
                .editSpec()
                .withNodeName(null)
                .endSpec()
                .editStatus()
                .withPhase("Pending")
                .endStatus()
                .build();
        Pod leaving = replica("resnet-3", "gpu-1", true)
                .editMetadata()
                .withDeletionTimestamp("2024-05-01T11:59:00Z")
                .endMetadata()
                .build();

        InferenceDeploymentStatus s = builder.build(
                deployment(3),
                new Inputs().pods(leaving, planned, unknown, placed).build());

        assertThat(s.getPlacements())
                .containsExactly(
                        new ReplicaPlacement("resnet-0", "gpu-1", 1, "1g.6gb", 2, "MIG-2f6e0c1a", "Ready"),
                        new ReplicaPlacement("resnet-1", "gpu-2", null, "1g.6gb", null, null, "Running"),
                        new ReplicaPlacement("resnet-2", "gpu-3", null, "1g.6gb+me", null, null, "Pending"),
                        new ReplicaPlacement("resnet-3", "gpu-1", null, "1g.6gb", null, null, "Terminating"));
        assertThat(s.getReplicas()).isEqualTo(3);
        assertThat(s.getReadyReplicas()).isEqualTo(1);
        assertThat(s.getReplicaSummary()).isEqualTo("1/3");
    }

    @Test
    void aMalformedMigDeviceAnnotationLeavesTheSliceUnknown() {
        Pod pod = replica("resnet-0", "gpu-1", true)
                .editMetadata()
                .addToAnnotations(QuartetLabels.MIG_DEVICE, "{not json")
                .endMetadata()
                .build();

        InferenceDeploymentStatus s =
                builder.build(deployment(1), new Inputs().pods(pod).build());

        assertThat(s.getPlacements())
                .containsExactly(new ReplicaPlacement("resnet-0", "gpu-1", null, "1g.6gb", null, null, "Ready"));
    }

    @Test
    void anUnchangedSituationGivesAnEqualStatusWithTheOldTransitionTimes() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"));
        InferenceDeployment d = deployment(1);
        InferenceDeploymentStatus first = builder.build(d, in.build());
        d.setStatus(first);
        StatusBuilder later = new StatusBuilder(Clock.fixed(NOW.plusSeconds(600), ZoneOffset.UTC));

        InferenceDeploymentStatus again = later.build(d, in.build());

        assertThat(again).isEqualTo(first);
        assertThat(again.getConditions())
                .extracting(Condition::getLastTransitionTime)
                .containsOnly("2024-05-01T12:00:00Z");
    }

    @Test
    void onlyTheConditionWhoseStatusFlipsGetsANewTransitionTime() {
        InferenceDeployment d = deployment(2);
        d.setStatus(builder.build(
                d,
                new Inputs()
                        .pods(ready("resnet-0", "gpu-1"), starting("resnet-1", "gpu-1"))
                        .build()));
        StatusBuilder later = new StatusBuilder(Clock.fixed(NOW.plusSeconds(600), ZoneOffset.UTC));

        InferenceDeploymentStatus s = later.build(
                d,
                new Inputs()
                        .pods(ready("resnet-0", "gpu-1"), ready("resnet-1", "gpu-1"))
                        .build());

        assertThat(condition(s, "Ready").getLastTransitionTime()).isEqualTo("2024-05-01T12:10:00Z");
        assertThat(condition(s, "Progressing").getLastTransitionTime()).isEqualTo("2024-05-01T12:10:00Z");
        assertThat(condition(s, "Degraded").getLastTransitionTime()).isEqualTo("2024-05-01T12:00:00Z");
    }

    @Test
    void theProfileIsKeptFromThePreviousStatusWhileUnknown() {
        InferenceDeployment d = deployment(1);
        InferenceDeploymentStatus previous = new InferenceDeploymentStatus();
        previous.setProfile("2g.12gb");
        d.setStatus(previous);
        Inputs in = new Inputs();
        in.profile = Optional.empty();

        assertThat(builder.build(d, in.build()).getProfile()).isEqualTo("2g.12gb");
    }

    @Test
    void replicasPinnedPessimisticallyOnANodeWithoutAnAgentAreSaidWithDegraded() {
        Inputs in = new Inputs().pods(ready("resnet-0", "gpu-1"));
        String pin = "node gpu-1 runs no Quartet node agent: the MIG device of pod ml/resnet-0 is not known, so"
                + " GPU(s) [0, 1] (with 1g.6gb instances) are pinned pessimistically";

        InferenceDeploymentStatus s = builder.build(deployment(1), in.build().withPessimisticPins(List.of(pin)));

        assertThat(summary(condition(s, "Degraded"))).isEqualTo("Degraded=False/AsExpected");
        assertThat(condition(s, "Degraded").getMessage()).isEqualTo("no problem found; " + pin);
        assertThat(condition(builder.build(deployment(1), in.build()), "Degraded")
                        .getMessage())
                .isEqualTo("no problem found");
    }
}
