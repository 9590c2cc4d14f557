package dev.quartet.planner;

import java.util.Set;
import java.util.TreeSet;

/**
 * The running replicas whose move is under way: a plan moved them, and no later plan has kept them in place.
 * Where a demand then has one replica too many (the move's replacement runs beside the replica it replaces, as
 * on a node of NVIDIA's DRA driver as soon as its claim is allocated), these are the ones to release, so a move
 * once started completes instead of its replacement being released. A move is abandoned only by a plan that
 * keeps the replica where it runs (it neither moves nor releases it).
 */
public final class MovesInFlight {

    private MovesInFlight() {}

    /** After {@code plan}: what it moves, and what it releases of the moves already under way. */
    public static Set<String> after(Set<String> underWay, Plan plan) {
        Set<String> next = new TreeSet<>(plan.moved());
        underWay.stream().filter(plan.released()::contains).forEach(next::add);
        return Set.copyOf(next);
    }
}
