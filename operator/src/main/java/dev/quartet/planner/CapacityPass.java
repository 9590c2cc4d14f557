package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;

/**
 * Admission (rule 3): places replicas highest priority first, and within a priority the smallest profiles first,
 * purely for capacity: free instances GPUs must keep first, then the tightest GPU being repartitioned (best fit),
 * then a whole free GPU, then a displacement. Free GPUs are treated as empty bins. On A30 (slice sizes 1, 2, 4
 * dividing each other) best fit satisfies as many replicas as any packing.
 */
final class CapacityPass {

    private final PlacementState state;
    private final GpuIndex index;
    private final Displacer displacer;
    private final Relocator relocator;

    private final int[] order;

    CapacityPass(PlacementState state) {
        this(state, order(state.input.demands, state.input.keptCount));
    }

    /** A pass that admits the demands in {@code order} ({@link #order}, {@link #constrainedFirst}, ...). */
    CapacityPass(PlacementState state, int[] order) {
        this.state = state;
        this.order = order;
        this.index = new GpuIndex(state.input.models, state.gpus);
        state.listen(index);
        this.displacer = new Displacer(state, this::placeOne, null);
        this.relocator = new Relocator(state, this::placeOne);
    }

    /** Runs the pass; returns the state, whose {@code satisfied} counts are the admitted replicas. */
    PlacementState run() {
        for (int d : order) {
            while (state.missing(d) > 0 && (placeOne(d) || relocator.place(d) || displacer.place(d))) {
                state.commit();
            }
            state.commit();
        }
        return state;
    }

    /** Priority; smallest profiles (most replicas fit); least flexible; then {@link #sorted}'s tie-breaks. */
    static int[] order(ResolvedDemand[] demands, int[] running) {
        return sorted(
                demands,
                running,
                Comparator.comparingInt((ResolvedDemand d) -> -d.priority())
                        .thenComparingInt(d -> d.size)
                        .thenComparingInt(d -> d.flexibility));
    }

    /**
     * Within a priority the least flexible profiles (one {@code +me} per GPU, few start slots) before the
     * smallest ones: neither order is best on every input.
     */
    static int[] constrainedFirst(ResolvedDemand[] demands, int[] running) {
        return sorted(
                demands,
                running,
                Comparator.comparingInt((ResolvedDemand d) -> -d.priority())
                        .thenComparingInt(d -> d.flexibility)
                        .thenComparingInt(d -> d.size));
    }

    /**
     * The least flexible profiles first whatever their priority: a lower-priority {@code +me} demand placed
     * after higher-priority small replicas filled the GPUs may find no GPU left for its one {@code +me}
     * instance, where sharing the small replicas out would have fitted everything. Without {@code +me}
     * profiles this is largest first (first-fit decreasing), which on mixed clusters fits large lower-priority
     * profiles that small higher-priority replicas spread over many GPUs would shut out. Compared by rule 3
     * with the other orders, so it is kept only when it satisfies more.
     */
    static int[] leastFlexibleFirst(ResolvedDemand[] demands, int[] running) {
        return sorted(
                demands,
                running,
                Comparator.comparingInt((ResolvedDemand d) -> d.flexibility)
                        .thenComparingInt(d -> -d.priority())
                        .thenComparingInt(d -> d.size));
    }

    /**
     * Demand ids by {@code first}, then every order's tie-breaks: demands with running replicas, fewest eligible
     * nodes, name.
     */
    private static int[] sorted(ResolvedDemand[] demands, int[] running, Comparator<ResolvedDemand> first) {
        return Arrays.stream(demands)
                .sorted(first.thenComparingInt(d -> running[d.id] > 0 ? 0 : 1)
                        .thenComparingInt(d -> d.eligibleCount)
                        .thenComparing(ResolvedDemand::name))
                .mapToInt(d -> d.id)
                .toArray();
    }

    boolean placeOne(int d) {
        ResolvedDemand demand = state.demand(d);
        PlacementState.Option best = exact(demand);
        if (best == null) {
            best = tightestRoom(demand);
        }
        if (best == null) {
            best = freeGpu(demand);
        }
        if (best == null) {
            return false;
        }
        state.apply(best, d);
        return true;
    }

    private PlacementState.Option exact(ResolvedDemand demand) {
        for (GpuModel model : demand.models) {
            int p = demand.profileOn(model);
            GpuWork gpu = p < 0 ? null : first(index.exact(model, p), demand);
            if (gpu != null) {
                return new PlacementState.Option(gpu, PlacementState.Option.Kind.EXACT, gpu.freeInstance(p));
            }
        }
        return null;
    }

    private PlacementState.Option tightestRoom(ResolvedDemand demand) {
        GpuWork best = null;
        double bestFill = -1;
        for (GpuModel model : state.input.models) {
            int p = demand.profileOn(model);
            if (p < 0) {
                continue;
            }
            LayoutCatalog catalog = LayoutCatalog.of(model);
            for (int code : index.roomCodes(model, p)) {
                double fill = (double) catalog.slicesUsed(code) / model.memorySlices();
                if (fill <= bestFill) {
                    break;
                }
                GpuWork gpu = first(index.open(model, code), demand);
                if (gpu != null) {
                    best = gpu;
                    bestFill = fill;
                    break;
                }
            }
        }
        return best == null ? null : new PlacementState.Option(best, PlacementState.Option.Kind.ROOM, -1);
    }

    private PlacementState.Option freeGpu(ResolvedDemand demand) {
        for (GpuModel model : demand.models) {
            int p = demand.profileOn(model);
            GpuWork gpu = p < 0 ? null : first(index.fresh(model), demand);
            if (gpu != null) {
                return new PlacementState.Option(gpu, PlacementState.Option.Kind.OPEN, -1);
            }
        }
        return null;
    }

    private GpuWork first(BitSet gpus, ResolvedDemand demand) {
        if (gpus == null) {
            return null;
        }
        for (int g = gpus.nextSetBit(0); g >= 0; g = gpus.nextSetBit(g + 1)) {
            if (demand.eligible[state.gpus[g].node]) {
                return state.gpus[g];
            }
        }
        return null;
    }

    /** Indexes of the GPUs by what they can still take, kept current through {@link PlacementState.Listener}. */
    static final class GpuIndex implements PlacementState.Listener {

        private final BitSet[][] exact;
        private final BitSet[][] open;
        private final BitSet[] fresh;

        GpuIndex(GpuModel[] models, GpuWork[] gpus) {
            this.exact = new BitSet[models.length][];
            this.open = new BitSet[models.length][];
            this.fresh = new BitSet[models.length];
            for (GpuModel model : models) {
                LayoutCatalog catalog = LayoutCatalog.of(model);
                exact[model.ordinal()] = new BitSet[catalog.profileCount()];
                open[model.ordinal()] = new BitSet[catalog.codeSpace()];
                fresh[model.ordinal()] = new BitSet();
                for (int p = 0; p < catalog.profileCount(); p++) {
                    exact[model.ordinal()][p] = new BitSet();
                }
            }
            for (GpuWork gpu : gpus) {
                after(gpu);
            }
        }

        BitSet exact(GpuModel model, int p) {
            return exact[model.ordinal()][p];
        }

        BitSet open(GpuModel model, int code) {
            return open[model.ordinal()][code];
        }

        BitSet fresh(GpuModel model) {
            return fresh[model.ordinal()];
        }

        int[] roomCodes(GpuModel model, int p) {
            return LayoutCatalog.of(model).roomCodes(p);
        }

        @Override
        public void before(GpuWork gpu) {
            update(gpu, false);
        }

        @Override
        public void after(GpuWork gpu) {
            update(gpu, true);
        }

        private void update(GpuWork gpu, boolean present) {
            int m = gpu.model.ordinal();
            if (gpu.open) {
                BitSet set = open[m][gpu.openCode];
                if (set == null) {
                    set = open[m][gpu.openCode] = new BitSet();
                }
                set.set(gpu.id, present);
            } else if (gpu.reopenable) {
                fresh[m].set(gpu.id, present && !gpu.hasPlanned());
            } else {
                for (int p : gpu.current.profileIndex()) {
                    exact[m][p].set(gpu.id, present && gpu.freeInstance(p) >= 0);
                }
            }
        }
    }
}
