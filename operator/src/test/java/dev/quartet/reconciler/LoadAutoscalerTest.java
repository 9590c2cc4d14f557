package dev.quartet.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.autoscale.WorkerReading;
import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.AutoscalingSpec;
import dev.quartet.model.AutoscalingTarget;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.status.AutoscalingReport;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/**
 * Autoscaling's side of a reconcile with metrics fed through {@link WorkerLoadReader}: readings at most once per sync
 * period, averages from the integrals between readings, only Ready replicas read, and where a replica's URL comes from.
 */
class LoadAutoscalerTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final List<List<String>> asked = new ArrayList<>();
    private final Map<String, WorkerReading> next = new HashMap<>();
    private final LoadAutoscaler autoscaler = new LoadAutoscaler();

    LoadAutoscalerTest() {
        autoscaler.reader = ready -> {
            asked.add(ready.stream().map(p -> p.getMetadata().getName()).toList());
            return Map.copyOf(next);
        };
        autoscaler.config = config(Duration.ofSeconds(10));
    }

    private static InferenceDeployment deployment() {
        InferenceDeployment d = TestDeployments.of("resnet", "1g.6gb", 2);
        d.getMetadata().setNamespace("ml");
        AutoscalingSpec a = new AutoscalingSpec();
        a.setMinReplicas(1);
        a.setMaxReplicas(8);
        AutoscalingTarget t = new AutoscalingTarget();
        t.setQueueDepthPerReplica(4);
        a.setTarget(t);
        a.setScaleDownDelaySeconds(60);
        d.getSpec().setAutoscaling(a);
        return d;
    }

    private static Pod pod(String name, boolean ready) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("ml")
                .addToLabels(QuartetLabels.DEPLOYMENT, "resnet")
                .endMetadata()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("10.0.0.7")
                .addNewCondition()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .endStatus()
                .build();
    }

    private static WorkerReading reading(Instant at, double queue, double queueSeconds) {
        return new WorkerReading(at, queue, queue, OptionalDouble.of(queueSeconds), OptionalDouble.of(queueSeconds));
    }

    @Test
    void readsOnlyReadyReplicasOncePerSyncPeriodAndAveragesBetweenReadings() {
        List<Pod> pods = List.of(pod("resnet-0", true), pod("resnet-1", true), pod("resnet-2", false));
        next.put("resnet-0", reading(T0, 0, 100));
        next.put("resnet-1", reading(T0, 0, 50));
        AutoscalingReport first = autoscaler.decide(deployment(), pods, Optional.empty(), T0);
        assertThat(asked).containsExactly(List.of("resnet-0", "resnet-1"));
        assertThat(first.desired())
                .as("no load yet; the window holds the starting count")
                .isEqualTo(2);

        AutoscalingReport again = autoscaler.decide(deployment(), pods, Optional.empty(), T0.plusSeconds(5));
        assertThat(asked).as("within the sync period: no reading").hasSize(1);
        assertThat(again.decision()).isEqualTo(first.decision());

        // 10 s later: the queues held 12 and 8 on average (the gauges read 0 at this instant): 20 / 4 -> 5.
        Instant t1 = T0.plusSeconds(10);
        next.put("resnet-0", reading(t1, 0, 220));
        next.put("resnet-1", reading(t1, 0, 130));
        AutoscalingReport up = autoscaler.decide(deployment(), pods, Optional.empty(), t1);
        assertThat(asked).hasSize(2);
        assertThat(up.decision().getCurrentTotal()).isEqualTo("20.00");
        assertThat(up.decision().getMeasuredReplicas()).isEqualTo(2);
        assertThat(up.desired()).isEqualTo(5);
        assertThat(up.decision().getLastScaleTime()).isEqualTo("2026-01-01T00:00:10Z");
        assertThat(up.load()).isEqualTo("queue depth 20.00 over 2 Ready replicas, target 4 per replica");
        assertThat(autoscaler.untilNextRead("ml/resnet", t1.plusSeconds(3))).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void anHpaIsPassedOnAndForgottenDeploymentsLoseTheirWindow() {
        List<Pod> pods = List.of(pod("resnet-0", true));
        next.put("resnet-0", reading(T0, 0, 0));
        AutoscalingReport r = autoscaler.decide(deployment(), pods, Optional.of("resnet-hpa"), T0);
        assertThat(r.conflictingHpa()).contains("resnet-hpa");
        autoscaler.retain(java.util.Set.of());
        assertThat(autoscaler.untilNextRead("ml/resnet", T0)).isZero();
    }

    @Test
    void aReplicaIsReadAtItsPodIpOrOnTheTestBedAtTheSimulatorsWorkerUrl() {
        Pod pod = pod("resnet-0", true);
        assertThat(HttpWorkerLoadReader.baseUrl(pod, 8080, false)).contains("http://10.0.0.7:8080");
        pod.getMetadata().setAnnotations(Map.of(HttpWorkerLoadReader.SIM_WORKER_URL, "http://127.0.0.1:41234"));
        assertThat(HttpWorkerLoadReader.baseUrl(pod, 8080, true)).contains("http://127.0.0.1:41234");
        assertThat(HttpWorkerLoadReader.baseUrl(pod, 8080, false))
                .as("off the test bed an annotation cannot redirect the operator")
                .contains("http://10.0.0.7:8080");
        pod.getMetadata().setAnnotations(null);
        pod.getStatus().setPodIP(null);
        assertThat(HttpWorkerLoadReader.baseUrl(pod, 8080, true)).isEmpty();
    }

    private static QuartetConfig config(Duration syncPeriod) {
        return new QuartetConfig() {
            public Worker worker() {
                throw new UnsupportedOperationException();
            }

            public MigManager migManager() {
                throw new UnsupportedOperationException();
            }

            public Planner planner() {
                throw new UnsupportedOperationException();
            }

            public Autoscaling autoscaling() {
                return new Autoscaling() {
                    public Duration syncPeriod() {
                        return syncPeriod;
                    }

                    public Duration readTimeout() {
                        return Duration.ofSeconds(2);
                    }

                    public boolean simulatorWorkerUrls() {
                        return true;
                    }
                };
            }

            public String backend() {
                return "auto";
            }

            public NodeAgent nodeAgent() {
                return dev.quartet.config.NodeAgentSettings.defaults();
            }

            public Duration nodeLostAfter() {
                return Duration.ofSeconds(30);
            }

            public LeaderElection leaderElection() {
                throw new UnsupportedOperationException();
            }

            public Webhook webhook() {
                throw new UnsupportedOperationException();
            }
        };
    }
}
