package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Placement (rules 4-8) of the replicas admission found room for: largest and least flexible profiles first,
 * each demand's replicas onto the eligible nodes holding fewest of them (or, for {@code pack}, most), preferring
 * on each node a free instance or a GPU already being repartitioned, then a new repartition; within a node, the
 * GPU holding fewest of the demand. Displaces running replicas only when nothing else can hold an admitted one.
 */
final class SpreadPass {

    private final PlacementState state;
    private final NodeOptions options;
    private final Displacer displacer;
    private final Relocator relocator;

    private final int[] target;

    /** A pass that places up to {@code target[d]} replicas of every demand (what admission found room for). */
    SpreadPass(PlacementState state, int[] target) {
        this.state = state;
        this.target = target;
        this.options = new NodeOptions(state);
        this.displacer = new Displacer(state, this::placeOne, target);
        this.relocator = new Relocator(state, this::placeOne);
    }

    /** Places the targets, largest profiles first or in admission order, then tries the rest by priority. */
    PlacementState run(boolean largestFirst) {
        int[] admissionOrder = CapacityPass.order(state.input.demands, state.input.keptCount);
        for (int d : largestFirst ? largestFirst(state.input.demands) : admissionOrder) {
            place(d, target[d] - state.satisfied[d]);
        }
        for (int d : admissionOrder) {
            place(d, state.missing(d));
        }
        return state;
    }

    static int[] largestFirst(ResolvedDemand[] demands) {
        return Arrays.stream(demands)
                .sorted(Comparator.comparingInt((ResolvedDemand d) -> -d.size)
                        .thenComparingInt(d -> d.flexibility)
                        .thenComparingInt(d -> -d.priority())
                        .thenComparing(ResolvedDemand::name))
                .mapToInt(d -> d.id).toArray();
    }

    private void place(int d, int wanted) {
        int left = wanted;
        if (left > 0) {
            left -= state.demand(d).pack() ? packed(d, left) : spread(d, left);
        }
        while (left > 0 && state.missing(d) > 0 && (relocator.place(d) || displacer.place(d))) {
            left--;
            state.commit();
        }
        state.commit();
    }

    boolean placeOne(int d) {
        return state.demand(d).pack() ? packed(d, 1) == 1 : spread(d, 1) == 1;
    }

    /** Rounds over the nodes holding fewest replicas of the demand; returns how many were placed. */
    private int spread(int d, int wanted) {
        int[] counts = state.counts(d);
        List<Integer> active = options.candidateNodes(d);
        int placed = 0;
        while (placed < wanted && !active.isEmpty()) {
            int min = Integer.MAX_VALUE;
            for (int n : active) {
                min = Math.min(min, counts[n]);
            }
            List<Integer> free = new ArrayList<>();
            List<Integer> repartition = new ArrayList<>();
            List<Integer> stillActive = new ArrayList<>(active.size());
            for (int n : active) {
                PlacementState.Option option = counts[n] == min ? options.best(n, d) : null;
                if (option != null) {
                    (option.cost() == 0 ? free : repartition).add(n);
                }
                if (option != null || counts[n] != min) {
                    stillActive.add(n);
                }
            }
            active = stillActive;
            free.addAll(repartition);
            for (int n : free) {
                if (placed == wanted) {
                    break;
                }
                PlacementState.Option option = options.best(n, d);
                if (option != null) {
                    state.apply(option, d);
                    placed++;
                }
            }
        }
        return placed;
    }

    /** Fills the node holding most replicas of the demand first; returns how many were placed. */
    private int packed(int d, int wanted) {
        int[] counts = state.counts(d);
        List<Integer> candidates = options.candidateNodes(d);
        int placed = 0;
        while (placed < wanted) {
            Integer node = candidates.stream().filter(n -> options.best(n, d) != null)
                    .max(Comparator.comparingInt((Integer n) -> counts[n])
                            .thenComparingInt(n -> counts[n] == 0 ? options.capacity(n, d) : 0)
                            .thenComparingInt(n -> options.best(n, d).cost() == 0 ? 1 : 0)
                            .thenComparingInt(n -> -n))
                    .orElse(null);
            if (node == null) {
                break;
            }
            PlacementState.Option option;
            while (placed < wanted && (option = options.best(node, d)) != null) {
                state.apply(option, d);
                placed++;
            }
        }
        return placed;
    }
}
