package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    private final Map<String, boolean[]> noRoom = new HashMap<>();
    private int cursor;

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
                .mapToInt(d -> d.id)
                .toArray();
    }

    private void place(int d, int wanted) {
        int left = wanted;
        if (left > 0) {
            left -= state.demand(d).pack() ? packed(d, left) : spread(d, left, full(d));
        }
        while (left > 0 && state.missing(d) > 0 && (relocator.place(d) || displacer.place(d))) {
            left--;
            noRoom.clear();
            state.commit();
        }
        state.commit();
    }

    /** One replica displaced or relocated under trial: anywhere, cheapest first (rule 5 yields to rules 3-4). */
    boolean placeOne(int d) {
        PlacementState.Option option = options.anyRoom(d) ? options.anywhere(d) : null;
        if (option != null) {
            state.apply(option, d);
        }
        return option != null;
    }

    /**
     * Rounds over the nodes holding fewest replicas of the demand, each round from where the last one stopped:
     * a free instance is taken at once, a repartition only if not enough free instances turn up. Returns how
     * many were placed.
     */
    private int spread(int d, int wanted, boolean[] full) {
        if (!options.anyRoom(d)) {
            return 0;
        }
        int[] counts = state.counts(d);
        int[] candidates = options.candidateNodes(d);
        int placed = 0;
        while (placed < wanted) {
            int min = Integer.MAX_VALUE;
            for (int n : candidates) {
                min = full[n] ? min : Math.min(min, counts[n]);
            }
            if (min == Integer.MAX_VALUE) {
                break;
            }
            List<Integer> repartition = new ArrayList<>();
            int size = candidates.length;
            int first = cursor % size;
            int visited = 0;
            for (; visited < size && placed < wanted; visited++) {
                int n = candidates[(first + visited) % size];
                if (full[n] || counts[n] != min) {
                    continue;
                }
                if (options.hasFreeSlot(n, d)) {
                    state.apply(options.best(n, d), d);
                    placed++;
                } else if (!options.mayRepartition(n, d)) {
                    full[n] = true;
                } else if (repartition.size() < wanted - placed) {
                    if (options.best(n, d) == null) {
                        full[n] = true;
                    } else {
                        repartition.add(n);
                    }
                }
            }
            cursor = first + visited;
            for (int n : repartition) {
                PlacementState.Option option = placed < wanted ? options.best(n, d) : null;
                if (option != null) {
                    state.apply(option, d);
                    placed++;
                } else {
                    full[n] = true;
                }
            }
        }
        return placed;
    }

    /** Per node, whether it was found without room for the demand's profiles (room only shrinks in a pass). */
    private boolean[] full(int d) {
        return noRoom.computeIfAbsent(state.demand(d).profileKey, k -> new boolean[state.input.nodeNames.length]);
    }

    /**
     * Fills the node holding most replicas of the demand first; a new node is the first (from the cursor) with a
     * free instance and room for all that is left, else the one with most room. Returns how many were placed.
     */
    private int packed(int d, int wanted) {
        if (!options.anyRoom(d)) {
            return 0;
        }
        int[] counts = state.counts(d);
        int[] candidates = options.candidateNodes(d);
        int placed = 0;
        while (placed < wanted) {
            int node = fullestWithRoom(candidates, counts, d);
            if (node < 0) {
                node = roomiest(candidates, counts, d, wanted - placed);
            }
            if (node < 0) {
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

    private int fullestWithRoom(int[] candidates, int[] counts, int d) {
        int node = -1;
        for (int n : candidates) {
            if (counts[n] > 0 && (node < 0 || counts[n] > counts[node]) && options.best(n, d) != null) {
                node = n;
            }
        }
        return node;
    }

    private int roomiest(int[] candidates, int[] counts, int d, int left) {
        int node = -1;
        int most = 0;
        int size = candidates.length;
        int first = cursor % Math.max(1, size);
        for (int visited = 0; visited < size; visited++) {
            int n = candidates[(first + visited) % size];
            PlacementState.Option option = counts[n] == 0 ? options.best(n, d) : null;
            int room = option == null ? 0 : options.capacity(n, d);
            if (option != null && option.cost() == 0 && room >= left) {
                cursor = first + visited + 1;
                return n;
            }
            if (room > most) {
                node = n;
                most = room;
            }
        }
        return node;
    }
}
