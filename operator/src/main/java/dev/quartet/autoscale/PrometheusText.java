package dev.quartet.autoscale;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Reads the few samples autoscaling needs from a worker's {@code /q/metrics} (the Prometheus text format): each
 * metric's value summed over its label sets (a worker serves one model, so there is one).
 */
public final class PrometheusText {

    static final String QUEUE_DEPTH = "quartet_worker_queue_depth";
    static final String IN_FLIGHT = "quartet_worker_requests_in_flight";
    static final String QUEUE_DEPTH_SECONDS = "quartet_worker_queue_depth_seconds_total";
    static final String IN_FLIGHT_SECONDS = "quartet_worker_requests_in_flight_seconds_total";

    private PrometheusText() {}

    /** The reading in {@code text}, taken at {@code at}; empty when it has neither gauge (not a Quartet worker). */
    public static java.util.Optional<WorkerReading> reading(String text, Instant at) {
        Map<String, Double> values = samples(text);
        if (!values.containsKey(QUEUE_DEPTH) && !values.containsKey(IN_FLIGHT)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new WorkerReading(
                at,
                values.getOrDefault(QUEUE_DEPTH, 0.0),
                values.getOrDefault(IN_FLIGHT, 0.0),
                optional(values.get(QUEUE_DEPTH_SECONDS)),
                optional(values.get(IN_FLIGHT_SECONDS))));
    }

    private static OptionalDouble optional(Double value) {
        return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
    }

    static Map<String, Double> samples(String text) {
        Map<String, Double> out = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
            if (!name.equals(QUEUE_DEPTH)
                    && !name.equals(IN_FLIGHT)
                    && !name.equals(QUEUE_DEPTH_SECONDS)
                    && !name.equals(IN_FLIGHT_SECONDS)) {
                continue;
            }
            int valueStart = brace >= 0 && brace < space ? line.indexOf("} ", brace) + 2 : space + 1;
            if (valueStart < 2) {
                continue;
            }
            String rest = line.substring(valueStart).trim();
            int end = rest.indexOf(' ');
            try {
                double v = Double.parseDouble(end < 0 ? rest : rest.substring(0, end));
                out.merge(name, v, Double::sum);
            } catch (NumberFormatException e) {
                // not a sample of ours
            }
        }
        return out;
    }
}
