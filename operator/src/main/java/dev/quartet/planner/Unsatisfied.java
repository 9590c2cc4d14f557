package dev.quartet.planner;

/** A demand the plan cannot fully satisfy: how many replicas are missing and why. */
public record Unsatisfied(String demand, int missing, UnsatisfiedReason reason) {}
