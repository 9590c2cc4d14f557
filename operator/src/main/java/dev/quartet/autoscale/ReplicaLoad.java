package dev.quartet.autoscale;

/**
 * One Ready replica's load over the last interval: requests waiting for the engine and requests in flight, each the
 * average over time since the previous reading (or the value at this reading when there was none).
 */
public record ReplicaLoad(String replica, double queueDepth, double inFlight) {

    public double of(Signal signal) {
        return signal == Signal.QUEUE_DEPTH ? queueDepth : inFlight;
    }
}
