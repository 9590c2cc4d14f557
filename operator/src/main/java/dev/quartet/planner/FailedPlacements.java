package dev.quartet.planner;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Remembers, within one planning pass, the placements a costly strategy (displacing, relocating) already failed
 * at: per profile key, the highest priority that failed. A demand of that profile and no higher priority would
 * fail the same way, so it is not tried again.
 */
final class FailedPlacements {

    private final Map<String, Integer> failedAt = new HashMap<>();

    /** Runs {@code attempt} unless it is known to fail for this demand; remembers a failure. */
    boolean attempt(ResolvedDemand demand, BooleanSupplier attempt) {
        Integer failed = failedAt.get(demand.profileKey);
        if (failed != null && failed >= demand.priority()) {
            return false;
        }
        if (attempt.getAsBoolean()) {
            return true;
        }
        failedAt.merge(demand.profileKey, demand.priority(), Math::max);
        return false;
    }
}
