package dev.quartet.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The worker's Prometheus metrics ({@code /q/metrics}); every meter carries the model name and the
 * MIG device id, so one dashboard tells replicas and slices apart.
 */
@ApplicationScoped
public class WorkerMetrics {

    private final MeterRegistry registry;
    private final Timer requestLatency;
    private final Timer inferenceTime;
    private final DistributionSummary batchSize;

    public WorkerMetrics(MeterRegistry registry, ServedModel served) {
        this.registry = registry;
        this.requestLatency = Timer.builder("quartet.worker.request.duration")
                .description("Inference request latency, from parsed body to response")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        this.inferenceTime = Timer.builder("quartet.worker.inference.duration")
                .description("Engine time per batch")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        this.batchSize = DistributionSummary.builder("quartet.worker.batch.size")
                .description("Rows per engine call")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128)
                .register(registry);
        Gauge.builder("quartet.worker.queue.depth", served, ServedModel::queueDepth)
                .description("Requests waiting for the engine")
                .register(registry);
    }

    /** Counts a finished request by outcome ({@code ok}, {@code bad_request}, {@code rejected}, ...). */
    public void request(String outcome, long nanos) {
        Counter.builder("quartet.worker.requests")
                .description("Inference requests by outcome")
                .tags(Tags.of("outcome", outcome))
                .register(registry)
                .increment();
        if (nanos >= 0) {
            requestLatency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Records one engine call. */
    public void batch(int rows, long nanos) {
        batchSize.record(rows);
        inferenceTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Adds {@code model} and {@code mig_device} to every meter. */
    @Produces
    @Singleton
    static MeterFilter commonTags(WorkerConfig config) {
        return MeterFilter.commonTags(
                Tags.of("model", config.model().name(), "mig_device", ServingDevice.migDeviceFromEnvironment()));
    }
}
