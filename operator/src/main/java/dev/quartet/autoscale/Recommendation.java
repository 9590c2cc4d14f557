package dev.quartet.autoscale;

import java.time.Instant;

/** The replicas the load asked for at one reading: the scale-down window holds these. */
public record Recommendation(Instant at, int replicas) {}
