package dev.quartet.reconciler;

import dev.quartet.autoscale.PrometheusText;
import dev.quartet.autoscale.WorkerReading;
import dev.quartet.config.QuartetConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Reads each replica's {@code /q/metrics} over HTTP, all at once: at the pod's IP and the worker port, or, on the
 * local test bed only ({@code quartet.autoscaling.simulator-worker-urls=true}), at the local worker process the GPU
 * node simulator's {@code sim.quartet.dev/worker-url} annotation names (docs/contracts.md).
 */
@ApplicationScoped
public class HttpWorkerLoadReader implements WorkerLoadReader {

    /** The simulator's annotation with the URL of the worker process it started for the pod. */
    static final String SIM_WORKER_URL = "sim.quartet.dev/worker-url";

    @Inject
    QuartetConfig config;

    private final HttpClient http = HttpClient.newBuilder().build();
    private final Clock clock = Clock.systemUTC();

    @Override
    public Map<String, WorkerReading> read(List<Pod> readyReplicas) {
        Map<String, CompletableFuture<Optional<WorkerReading>>> pending = new HashMap<>();
        for (Pod pod : readyReplicas) {
            baseUrl(pod, config.worker().port(), config.autoscaling().simulatorWorkerUrls())
                    .ifPresent(url -> pending.put(pod.getMetadata().getName(), fetch(url)));
        }
        Map<String, WorkerReading> out = new HashMap<>();
        pending.forEach((name, future) -> future.join().ifPresent(r -> out.put(name, r)));
        return out;
    }

    static Optional<String> baseUrl(Pod pod, int port, boolean simulatorUrls) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        if (simulatorUrls && annotations != null && annotations.get(SIM_WORKER_URL) != null) {
            return Optional.of(annotations.get(SIM_WORKER_URL));
        }
        String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
        if (ip == null || ip.isBlank()) {
            return Optional.empty();
        }
        return Optional.of("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port);
    }

    private CompletableFuture<Optional<WorkerReading>> fetch(String base) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/q/metrics"))
                .timeout(config.autoscaling().readTimeout())
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> {
                    Instant at = Instant.now(clock);
                    if (response.statusCode() != 200) {
                        Log.debugf("%s/q/metrics answered %d", base, response.statusCode());
                        return Optional.<WorkerReading>empty();
                    }
                    return PrometheusText.reading(response.body(), at);
                })
                .exceptionally(e -> {
                    Log.debugf("%s/q/metrics: %s", base, e.getMessage());
                    return Optional.empty();
                });
    }
}
