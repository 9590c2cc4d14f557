package dev.quartet.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The worker's metrics text read, and a replica's load averaged between two readings. */
class WorkerReadingTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static String metrics(double queue, double inFlight, double queueSeconds, double inFlightSeconds) {
        String tags = "{deployment=\"resnet\",mig_device=\"MIG-1\",mig_profile=\"1g.6gb\",model=\"resnet\"}";
        return "# HELP quartet_worker_queue_depth Requests waiting for the engine\n"
                + "# TYPE quartet_worker_queue_depth gauge\n"
                + "quartet_worker_queue_depth" + tags + " " + queue + "\n"
                + "quartet_worker_requests_in_flight" + tags + " " + inFlight + "\n"
                + "quartet_worker_queue_depth_seconds_total" + tags + " " + queueSeconds + "\n"
                + "quartet_worker_requests_in_flight_seconds_total" + tags + " " + inFlightSeconds + "\n"
                + "quartet_worker_requests_total{protocol=\"http\",outcome=\"ok\"} 12.0\n";
    }

    @Test
    void readsTheGaugesAndTheirIntegrals() {
        WorkerReading r = PrometheusText.reading(metrics(3, 5, 10.5, 20.25), T0).orElseThrow();
        assertThat(r.queueDepth()).isEqualTo(3);
        assertThat(r.inFlight()).isEqualTo(5);
        assertThat(r.queueDepthSeconds()).hasValue(10.5);
        assertThat(r.inFlightSeconds()).hasValue(20.25);
    }

    @Test
    void aTextWithoutTheGaugesIsNoReading() {
        assertThat(PrometheusText.reading("jvm_threads_live 12\n", T0)).isEmpty();
    }

    @Test
    void anOlderWorkerWithoutIntegralsGivesItsGauges() {
        WorkerReading r = PrometheusText.reading(
                        "quartet_worker_queue_depth{model=\"m\"} 2.0\nquartet_worker_requests_in_flight{model=\"m\"} 4.0\n",
                        T0)
                .orElseThrow();
        assertThat(r.queueDepthSeconds()).isEmpty();
        ReplicaLoad load = r.since(r, "m-0");
        assertThat(load.queueDepth()).isEqualTo(2);
        assertThat(load.inFlight()).isEqualTo(4);
    }

    @Test
    void theLoadBetweenTwoReadingsIsTheIntegralsGrowthOverTheTime() {
        WorkerReading before =
                PrometheusText.reading(metrics(0, 0, 100, 200), T0).orElseThrow();
        // 10 s later the queue happens to be empty at the reading, but it held 6 requests on average.
        WorkerReading after = PrometheusText.reading(metrics(0, 1, 160, 290), T0.plusSeconds(10))
                .orElseThrow();
        ReplicaLoad load = after.since(before, "m-0");
        assertThat(load.queueDepth()).isEqualTo(6.0);
        assertThat(load.inFlight()).isEqualTo(9.0);
    }

    @Test
    void aFirstReadingOrARestartedWorkerGivesTheGauges() {
        WorkerReading before =
                PrometheusText.reading(metrics(0, 0, 100, 200), T0).orElseThrow();
        WorkerReading restarted =
                PrometheusText.reading(metrics(2, 3, 1, 2), T0.plusSeconds(10)).orElseThrow();
        assertThat(restarted.since(before, "m-0")).isEqualTo(new ReplicaLoad("m-0", 2, 3));
        assertThat(restarted.since(null, "m-0")).isEqualTo(new ReplicaLoad("m-0", 2, 3));
    }
}
