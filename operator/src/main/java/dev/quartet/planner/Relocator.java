package dev.quartet.planner;

/**
 * Makes room for a replica that fits nowhere by moving one replica planned (not running) elsewhere: off a GPU
 * being repartitioned (profiles limited per GPU, such as one {@code +me}, or start slots that best fit alone does
 * not foresee), or off a free instance the replica could also use (another demand could go elsewhere, this one
 * cannot: node restrictions).
 */
final class Relocator {

    private static final int MAX_TRIES = 16;

    private final PlacementState state;
    private final Displacer.ReplicaPlacer placer;
    private final FailedPlacements failed = new FailedPlacements();

    Relocator(PlacementState state, Displacer.ReplicaPlacer placer) {
        this.state = state;
        this.placer = placer;
    }

    /** Places one replica of {@code d} by relocating one planned replica; false if no single relocation works. */
    boolean place(int d) {
        ResolvedDemand demand = state.demand(d);
        return failed.attempt(demand, () -> tryPlace(d, demand));
    }

    private boolean tryPlace(int d, ResolvedDemand demand) {
        int tries = 0;
        for (GpuWork gpu : state.gpus) {
            int p = demand.profileOn(gpu.model);
            if (p < 0 || !demand.eligible[gpu.node]) {
                continue;
            }
            if (!gpu.open) {
                for (int i = 0; i < gpu.planned.length; i++) {
                    int other = gpu.planned[i];
                    if (other >= 0 && other != d && gpu.current.profileIndex()[i] == p) {
                        if (tries++ == MAX_TRIES) {
                            return false;
                        }
                        if (swapExact(gpu, i, d, other)) {
                            return true;
                        }
                    }
                }
                continue;
            }
            for (int k = 0; k < gpu.openSize; k++) {
                int other = gpu.openDemand[k];
                if (other == d || gpu.catalog.plus(gpu.catalog.minus(gpu.openCode, gpu.openProfile[k]), p) < 0) {
                    continue;
                }
                if (tries++ == MAX_TRIES) {
                    return false;
                }
                if (swap(gpu, k, d, p, other)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean swapExact(GpuWork gpu, int instance, int d, int other) {
        int mark = state.mark();
        state.unplanExact(gpu, instance);
        state.placeExact(gpu, instance, d);
        if (placer.placeOne(other)) {
            return true;
        }
        state.rollback(mark);
        return false;
    }

    private boolean swap(GpuWork gpu, int k, int d, int p, int other) {
        int mark = state.mark();
        state.removeOpen(gpu, k);
        state.placeOpen(gpu, d, p);
        if (placer.placeOne(other)) {
            return true;
        }
        state.rollback(mark);
        return false;
    }
}
