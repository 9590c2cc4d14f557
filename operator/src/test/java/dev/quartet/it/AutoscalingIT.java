package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.model.AutoscalingSpec;
import dev.quartet.model.AutoscalingStatus;
import dev.quartet.model.AutoscalingTarget;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.testsupport.BuildProducts;
import dev.quartet.testsupport.RepositoryRoot;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Slice-aware autoscaling end to end: real worker processes on the simulator's slices, a closed-loop load generator,
 * the operator reading each Ready replica's metrics. One A30 of 4 x 1g.6gb: under load the deployment grows to its
 * maximum of 4; a higher-priority deployment under load takes 2 of its slices (it is movable), which it reports as
 * ScaleLimitedBySlices, not Degraded; when the load stops it shrinks to its minimum after the delay.
 * And the scale subresource: an HPA scales a deployment without spec.autoscaling, and conflicts with one that has it.
 */
class AutoscalingIT extends BedPerTest {

    private static final Duration WORKERS = Duration.ofMinutes(6);

    static InferenceDeployment autoscaled(String name, int min, int max, int inFlightPerReplica, int delaySeconds) {
        InferenceDeployment d = TestDeployments.of(name, "1g.6gb", 1);
        AutoscalingSpec a = new AutoscalingSpec();
        a.setMinReplicas(min);
        a.setMaxReplicas(max);
        AutoscalingTarget t = new AutoscalingTarget();
        t.setInFlightPerReplica(inFlightPerReplica);
        a.setTarget(t);
        a.setScaleDownDelaySeconds(delaySeconds);
        d.getSpec().setAutoscaling(a);
        // The simulator's slices have no CUDA: the CPU-only worker serves on them only with this.
        d.getSpec().getWorker().setAllowCpuFallback(true);
        return d;
    }

    private AutoscalingStatus autoscaling(String name) {
        InferenceDeployment d = bed.get(name);
        assertThat(d.getStatus()).isNotNull();
        assertThat(d.getStatus().getAutoscaling())
                .as("status.autoscaling of %s", name)
                .isNotNull();
        return d.getStatus().getAutoscaling();
    }

    private long live(String name) {
        return bed.pods(name).stream().filter(p -> !PodFacts.isTerminating(p)).count();
    }

    private List<String> events(String name, String reason) {
        return bed.client.v1().events().inNamespace(bed.namespace).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .map(Event::getMessage)
                .toList();
    }

    @Test
    void growsWithTheLoadToTheSlicesYieldsToAHigherPriorityAndShrinksAfterTheDelay() throws Exception {
        Path root = RepositoryRoot.find();
        Path jar = BuildProducts.require(
                root.resolve("worker-image/target/quarkus-app/quarkus-run.jar"),
                "./mvnw -B -pl worker-image package -DskipTests");
        bed = new OperatorTestBed(
                "autoscale",
                o -> o.withNodes(1)
                        .withGpusPerNode(1)
                        .withLayout("4x1g.6gb")
                        .withWorkerProcesses(
                                jar,
                                root.resolve("worker-image/models"),
                                Path.of("target/it-logs/autoscale-workers").toAbsolutePath()),
                Map.of("QUARTET_AUTOSCALING_SYNC_PERIOD", "2s"));

        // Up to 4 replicas at 1 request in flight each; movable, so a higher priority may take its slices.
        InferenceDeployment low = autoscaled("low", 1, 4, 1, 20);
        low.getSpec().setMovable(true);
        bed.create(low);
        bed.awaitReady("low", 1, WORKERS);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            assertThat(autoscaling("low").getDesiredReplicas())
                    .as("idle: the minimum")
                    .isEqualTo(1);
            assertThat(autoscaling("low").getMeasuredReplicas()).isEqualTo(1);
            assertThat(bed.conditionIs("low", "ScalingLimited", "False", "WithinLimits"))
                    .isTrue();
        });

        try (LoadGenerator lowLoad = new LoadGenerator("low", 12, () -> bed.pods("low"))) {
            // 12 clients keep 3 to 4 requests in flight at the workers: the maximum of 4 replicas.
            await().atMost(WORKERS)
                    .pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        AutoscalingStatus a = autoscaling("low");
                        assertThat(a.getDesiredReplicas())
                                .as("desired, %s", a.getCurrentTotal())
                                .isEqualTo(4);
                        assertThat(a.getGrantedReplicas()).isEqualTo(4);
                        assertThat(bed.get("low").getStatus().getReadyReplicas())
                                .isEqualTo(4);
                        assertThat(bed.conditionIs("low", "Degraded", "False", null))
                                .isTrue();
                    });
            InferenceDeployment seen = bed.get("low");
            assertThat(seen.getStatus().getReplicas())
                    .as("kubectl get infd: Current")
                    .isEqualTo(4);
            assertThat(seen.getStatus().getDesiredReplicas())
                    .as("kubectl get infd: Desired")
                    .isEqualTo(seen.getStatus().getAutoscaling().getDesiredReplicas());
            assertThat(events("low", "ScaledUp")).isNotEmpty().allMatch(m -> m.contains("target 1 per replica"));
            assertThat(lowLoad.answered()).isPositive();

            // A higher priority needing 2: it takes 2 slices from the movable, lower-priority deployment.
            InferenceDeployment high = autoscaled("high", 2, 2, 1, 20);
            high.getSpec().setPriority(10);
            // Movable too: the planner opens only GPUs whose running replicas may all move, and this node has one GPU.
            // If high's first replica started there non-movable before its second was placed (a re-plan in between,
            // which a loaded machine makes likely), the second could not take a slot of low (docs/operator.md,
            // "Known limit").
            high.getSpec().setMovable(true);
            bed.create(high);
            try (LoadGenerator highLoad = new LoadGenerator("high", 12, () -> bed.pods("high"))) {
                await().atMost(WORKERS)
                        .pollInterval(Duration.ofSeconds(1))
                        .ignoreExceptions()
                        .untilAsserted(() -> {
                            assertThat(autoscaling("high").getDesiredReplicas()).isEqualTo(2);
                            assertThat(bed.get("high").getStatus().getReadyReplicas())
                                    .isEqualTo(2);
                            assertThat(autoscaling("low").getGrantedReplicas()).isEqualTo(2);
                            assertThat(live("low")).isEqualTo(2);
                            assertThat(bed.conditionIs("low", "ScalingLimited", "True", "ScaleLimitedBySlices"))
                                    .isTrue();
                            assertThat(bed.conditionIs("low", "Degraded", "False", null))
                                    .isTrue();
                        });
                assertThat(bed.condition("low", "ScalingLimited").orElseThrow().getMessage())
                        .contains("requests in flight")
                        .contains("target 1 per replica")
                        .contains("the cluster's slices give 2");
                // the generator finds high's replicas when they are Ready, which the wait above may have just seen
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(highLoad.answered()).isPositive());
            }
        }

        // The load stopped: after the 20 s delay low wants its minimum, which the slices give.
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(autoscaling("low").getDesiredReplicas()).isEqualTo(1);
                    assertThat(autoscaling("low").getGrantedReplicas()).isEqualTo(1);
                    assertThat(live("low")).isEqualTo(1);
                    assertThat(live("high")).isEqualTo(2);
                    assertThat(bed.conditionIs("low", "ScalingLimited", "False", "WithinLimits"))
                            .isTrue();
                });
        assertThat(events("low", "ScaledDown")).isNotEmpty();
    }

    @Test
    void anHpaScalesADeploymentWithoutAutoscalingAndConflictsWithOneThatHasIt() {
        bed = new OperatorTestBed(
                "autoscale-hpa", o -> o.withNodes(1).withGpusPerNode(1).withLayout("4x1g.6gb"), Map.of());
        InferenceDeployment d = TestDeployments.of("scaled", "1g.6gb", 1);
        bed.create(d);
        bed.awaitReady("scaled", 1, SOON);

        // The HPA's controller brings the replicas within its bounds through the scale subresource, metrics or not.
        HorizontalPodAutoscaler hpa = new HorizontalPodAutoscalerBuilder()
                .withNewMetadata()
                .withName("scaled-hpa")
                .endMetadata()
                .withNewSpec()
                .withNewScaleTargetRef()
                .withApiVersion(InferenceDeployment.GROUP + "/" + InferenceDeployment.VERSION)
                .withKind("InferenceDeployment")
                .withName("scaled")
                .endScaleTargetRef()
                .withMinReplicas(2)
                .withMaxReplicas(3)
                .endSpec()
                .build();
        bed.client
                .autoscaling()
                .v2()
                .horizontalPodAutoscalers()
                .inNamespace(bed.namespace)
                .resource(hpa)
                .create();
        bed.awaitReady("scaled", 2, SOON);
        assertThat(bed.get("scaled").getSpec().getReplicas()).isEqualTo(2);
        assertThat(bed.condition("scaled", "ScalingLimited")).isEmpty();
        assertThat(bed.conditionIs("scaled", "Degraded", "False", "AsExpected")).isTrue();

        // With spec.autoscaling as well, Quartet says the two conflict, and the HPA's count has no effect.
        bed.allowDeletions("scaled");
        bed.edit("scaled", x -> {
            x.getSpec().setAutoscaling(autoscaled("x", 1, 1, 2, 0).getSpec().getAutoscaling());
            return x;
        });
        await().atMost(SOON).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(bed.conditionIs("scaled", "Degraded", "True", "AutoscalingConflict"))
                    .isTrue();
            assertThat(bed.condition("scaled", "Degraded").orElseThrow().getMessage())
                    .contains("HorizontalPodAutoscaler scaled-hpa");
            assertThat(bed.get("scaled").getStatus().getDesiredReplicas()).isEqualTo(1);
            assertThat(live("scaled")).isEqualTo(1);
        });

        bed.client
                .autoscaling()
                .v2()
                .horizontalPodAutoscalers()
                .inNamespace(bed.namespace)
                .withName("scaled-hpa")
                .delete();
        await().atMost(SOON)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(bed.conditionIs("scaled", "Degraded", "False", "AsExpected"))
                        .isTrue());
    }
}
