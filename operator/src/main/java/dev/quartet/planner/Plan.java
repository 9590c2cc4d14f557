package dev.quartet.planner;

import java.util.List;

/**
 * The planner's decision: the target layout of every GPU, one assignment per satisfied replica, the running
 * replicas to drain ({@code moved}) or to stop because their demand shrank or went ({@code released}), and
 * what could not be satisfied, with why. Every list is sorted.
 */
public record Plan(
        List<GpuPlan> gpus,
        List<Assignment> assignments,
        List<String> moved,
        List<String> released,
        List<Unsatisfied> unsatisfied) {

    public Plan {
        gpus = List.copyOf(gpus);
        assignments = List.copyOf(assignments);
        moved = List.copyOf(moved);
        released = List.copyOf(released);
        unsatisfied = List.copyOf(unsatisfied);
    }
}
