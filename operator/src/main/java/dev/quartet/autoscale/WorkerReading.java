package dev.quartet.autoscale;

import java.time.Instant;
import java.util.OptionalDouble;

/**
 * What one replica's worker reported at one time: the two gauges, and, from workers that have them, their integrals
 * over time ({@code quartet_worker_queue_depth_seconds_total}, {@code quartet_worker_requests_in_flight_seconds_total}),
 * from which the average between two readings follows.
 */
public record WorkerReading(
        Instant at,
        double queueDepth,
        double inFlight,
        OptionalDouble queueDepthSeconds,
        OptionalDouble inFlightSeconds) {

    /**
     * The load since {@code previous} (the same replica's last reading, or null): each signal's integral's growth
     * divided by the time between them, where both have the integral and it did not go back (a restarted worker);
     * else the gauge now.
     */
    public ReplicaLoad since(WorkerReading previous, String replica) {
        return new ReplicaLoad(
                replica,
                average(queueDepth, queueDepthSeconds, previous == null ? null : previous.queueDepthSeconds, previous),
                average(inFlight, inFlightSeconds, previous == null ? null : previous.inFlightSeconds, previous));
    }

    private double average(double gauge, OptionalDouble integral, OptionalDouble before, WorkerReading previous) {
        if (previous == null || integral.isEmpty() || before == null || before.isEmpty()) {
            return gauge;
        }
        double seconds = (at.toEpochMilli() - previous.at.toEpochMilli()) / 1000.0;
        double grown = integral.getAsDouble() - before.getAsDouble();
        if (seconds <= 0 || grown < 0) {
            return gauge;
        }
        return grown / seconds;
    }
}
