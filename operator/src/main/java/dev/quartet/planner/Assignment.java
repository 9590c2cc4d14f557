package dev.quartet.planner;

/**
 * One satisfied replica of a demand on a slice: {@code existing} with the running {@code replica} kept in place,
 * or a new replica ({@code replica} null) for the operator to create.
 */
public record Assignment(
        String demand, String node, int gpu, String profile, int start, boolean existing, String replica) {}
