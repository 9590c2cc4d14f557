package dev.quartet.autoscale;

/** The load signal autoscaling reads from each replica's worker. */
public enum Signal {
    /** Requests waiting for the engine: {@code quartet_worker_queue_depth}. */
    QUEUE_DEPTH("queueDepthPerReplica", "queue depth"),
    /** Requests received and not answered yet: {@code quartet_worker_requests_in_flight}. */
    IN_FLIGHT("inFlightPerReplica", "requests in flight");

    private final String field;
    private final String words;

    Signal(String field, String words) {
        this.field = field;
        this.words = words;
    }

    /** The name of the target field in {@code spec.autoscaling.target}. */
    public String field() {
        return field;
    }

    /** The signal in words, for messages. */
    public String words() {
        return words;
    }
}
