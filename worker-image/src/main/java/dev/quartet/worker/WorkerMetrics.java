package dev.quartet.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's Prometheus metrics ({@code /q/metrics}); every meter carries the model name, the MIG device id and
 * profile and the InferenceDeployment, so one dashboard tells deployments, replicas and slices apart. Each replica
 * reports only its own requests (queue depth and requests in flight are per process), which is what slice-aware
 * autoscaling reads.
 */
@ApplicationScoped
public class WorkerMetrics {

    private final MeterRegistry registry;
    private final Timer requestLatency;
    private final Timer inferenceTime;
    private final DistributionSummary batchSize;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final TimeIntegral inFlightIntegral = new TimeIntegral();

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
        Gauge.builder("quartet.worker.requests.in.flight", inFlight, AtomicInteger::get)
                .description("Inference requests received (REST or gRPC) and not answered yet: queued, in the engine"
                        + " or being read or written")
                .register(registry);
        // The gauges' integrals over time: their growth between two scrapes divided by the time between them is the
        // exact average over that time, which a gauge read at one instant is not under batching (queue depth drops
        // to 0 at every engine call). Slice-aware autoscaling reads these.
        FunctionCounter.builder("quartet.worker.queue.depth.seconds", served, ServedModel::queueDepthSeconds)
                .description("Requests waiting for the engine, integrated over time (requests x seconds)")
                .register(registry);
        FunctionCounter.builder("quartet.worker.requests.in.flight.seconds", inFlightIntegral, TimeIntegral::seconds)
                .description("Inference requests in flight, integrated over time (requests x seconds)")
                .register(registry);
    }

    /** An inference request arrived; returns its start time, to give {@link #end}. */
    public long begin() {
        inFlight.incrementAndGet();
        inFlightIntegral.add(1);
        return System.nanoTime();
    }

    /**
     * An inference request that {@link #begin} counted was answered, with {@code outcome} ({@code ok},
     * {@code bad_request}, {@code rejected}, ...) over {@code protocol} ({@code http} or {@code grpc}).
     */
    public void end(String protocol, String outcome, long start) {
        inFlight.decrementAndGet();
        inFlightIntegral.add(-1);
        count(protocol, outcome);
        requestLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /** A request refused before it was read (a declared body over the size limit): counted, not timed. */
    public void refused(String protocol, String outcome) {
        count(protocol, outcome);
    }

    private void count(String protocol, String outcome) {
        Counter.builder("quartet.worker.requests")
                .description("Inference requests by protocol and outcome")
                .tags(Tags.of("protocol", protocol, "outcome", outcome))
                .register(registry)
                .increment();
    }

    /** Records one engine call. */
    public void batch(int rows, long nanos) {
        batchSize.record(rows);
        inferenceTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Adds {@code model}, {@code mig_device} (the device's id, a MIG UUID under Quartet), {@code mig_profile} and
     * {@code deployment} to every meter ({@code none} where the worker runs outside Quartet).
     */
    @Produces
    @Singleton
    static MeterFilter commonTags(WorkerConfig config) {
        return MeterFilter.commonTags(Tags.of(
                "model",
                config.model().name(),
                "mig_device",
                ServingDevice.migDeviceFromEnvironment(),
                "mig_profile",
                config.replica().migProfile(),
                "deployment",
                config.replica().deployment()));
    }
}
