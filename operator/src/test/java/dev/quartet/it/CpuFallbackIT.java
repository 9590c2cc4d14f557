package dev.quartet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.testsupport.BuildProducts;
import dev.quartet.testsupport.RepositoryRoot;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Honest readiness, end to end with real worker processes (the CPU-only worker, on the simulator's MIG slices): a
 * replica given a MIG device whose engine runs on the CPU refuses to serve, its pod says why, and the deployment is
 * ReplicasFailing with that reason; with spec.worker.allowCpuFallback the same replica serves and is Ready, its
 * metrics labelled with its deployment, MIG device and profile.
 */
class CpuFallbackIT extends BedPerTest {

    private static final Duration WORKER_START = Duration.ofMinutes(3);

    @Test
    void aSliceServedOnTheCpuIsNotReadyUnlessAllowed() throws Exception {
        Path root = RepositoryRoot.find();
        Path jar = BuildProducts.require(
                root.resolve("worker-image/target/quarkus-app/quarkus-run.jar"),
                "./mvnw -B -pl worker-image package -DskipTests");
        bed = new OperatorTestBed(
                "cpufallback",
                o -> o.withNodes(1)
                        .withGpusPerNode(1)
                        .withLayout("4x1g.6gb")
                        .withWorkerProcesses(
                                jar,
                                root.resolve("worker-image/models"),
                                Path.of("target/it-logs/cpufallback-workers").toAbsolutePath()),
                Map.of());
        InferenceDeployment d = TestDeployments.of("resnet", "1g.6gb", 1);
        bed.create(d);

        await().atMost(WORKER_START).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(bed.conditionIs("resnet", "Degraded", "True", "ReplicasFailing"))
                    .isTrue();
            assertThat(bed.condition("resnet", "Degraded").orElseThrow().getMessage())
                    .startsWith("resnet-0 failing: the worker refuses to serve: Not serving model resnet:"
                            + " this replica was given MIG device MIG-")
                    .contains("engine runs on the CPU")
                    .contains("spec.worker.allowCpuFallback: true");
        });
        assertThat(bed.conditionIs("resnet", "Ready", "False", "ReplicasFailing"))
                .isTrue();
        Pod pod = bed.pods("resnet").get(0);
        assertThat(PodFacts.isReady(pod)).isFalse();
        ContainerStatus worker = pod.getStatus().getContainerStatuses().get(0);
        var ended = worker.getLastState().getTerminated();
        assertThat(ended.getExitCode()).isEqualTo(78);
        assertThat(ended.getMessage()).contains("engine runs on the CPU");

        // Allowed: the replica is replaced (the worker's environment changed) and serves on the CPU.
        bed.allowDeletions("resnet");
        bed.edit("resnet", x -> {
            x.getSpec().getWorker().setAllowCpuFallback(true);
            return x;
        });
        bed.awaitReady("resnet", 1, WORKER_START);
        Pod serving = bed.pods("resnet").stream()
                .filter(PodFacts::isReady)
                .findFirst()
                .orElseThrow();
        String url = serving.getMetadata().getAnnotations().get(GpuNodeSimulator.WORKER_URL_ANNOTATION);
        String metadata = get(url + "/v2/models/resnet");
        assertThat(metadata).contains("\"device\":\"cpu\"").contains("\"mig_device\":\"MIG-");
        String metrics = get(url + "/q/metrics");
        assertThat(metrics).contains("deployment=\"resnet\"").contains("mig_profile=\"1g.6gb\"");
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }
}
