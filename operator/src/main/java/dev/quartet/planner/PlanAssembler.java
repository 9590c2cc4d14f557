package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a finished placement into a {@link Plan}: the layout of every GPU (rule 7 for the repartitioned ones),
 * each replica on a concrete instance, displaced replicas kept where an unchanged layout lets them stay.
 */
final class PlanAssembler {

    private final PlacementState state;
    private final LayoutFiller filler;
    private final List<GpuPlan> gpuPlans = new ArrayList<>();
    private final List<Assignment> assignments = new ArrayList<>();
    private final List<String> moved = new ArrayList<>();
    /** Per GPU: memory slices of instances holding a replica in the plan, and whether any replica is there. */
    private final int[] occupiedSlices;

    private final boolean[] holdsReplica;

    PlanAssembler(PlacementState state) {
        this.state = state;
        this.filler = new LayoutFiller(state);
        this.occupiedSlices = new int[state.gpus.length];
        this.holdsReplica = new boolean[state.gpus.length];
    }

    Plan plan() {
        new NodeRepacker(state).run();
        new StrandMover(state).run();
        new IdleGpuCover(state, state.input.idleGpuCoverMinSlices).run();
        for (GpuWork gpu : state.gpus) {
            if (gpu.open) {
                assembleOpen(gpu);
            } else {
                assembleKept(gpu);
            }
        }
        List<Unsatisfied> unsatisfied = new UnsatisfiedReasons(state, occupiedSlices, holdsReplica).all();
        assignments.sort(Comparator.comparing(Assignment::demand)
                .thenComparing(Assignment::node)
                .thenComparingInt(Assignment::gpu)
                .thenComparingInt(Assignment::start));
        gpuPlans.sort(Comparator.comparing(GpuPlan::node).thenComparingInt(GpuPlan::index));
        List<String> released = new ArrayList<>(state.input.released);
        moved.sort(null);
        released.sort(null);
        return new Plan(gpuPlans, assignments, moved, released, unsatisfied);
    }

    private void assembleKept(GpuWork gpu) {
        for (int i = 0; i < gpu.current.size(); i++) {
            int running = gpu.runningDemand[i];
            if (running >= 0) {
                add(gpu, running, i, gpu.current, gpu.runningReplica[i]);
            } else if (running == GpuWork.FOREIGN) {
                occupy(gpu, gpu.current, i);
            }
            if (gpu.planned[i] != GpuWork.FREE) {
                add(gpu, gpu.planned[i], i, gpu.current, null);
            }
        }
        gpuPlans.add(gpuPlan(gpu, gpu.current, false));
    }

    private void assembleOpen(GpuWork gpu) {
        LayoutShape layout = filler.choose(gpu);
        boolean repartition = !layout.sameLayout(gpu.current);
        boolean[] taken = new boolean[layout.size()];
        List<int[]> items = new ArrayList<>();
        for (int k = 0; k < gpu.openSize; k++) {
            items.add(new int[] {gpu.openDemand[k], gpu.openProfile[k]});
        }
        items.sort(Comparator.comparing((int[] item) -> state.demand(item[0]).name())
                .thenComparingInt(i -> i[1]));
        if (gpu.displaced) {
            keepDisplacedInPlace(gpu, layout, repartition, items, taken);
        }
        for (int[] item : items) {
            int i = freeInstance(layout, taken, item[1]);
            taken[i] = true;
            add(gpu, item[0], i, layout, null);
        }
        gpuPlans.add(gpuPlan(gpu, layout, repartition));
    }

    /**
     * A displaced replica whose demand has a planned replica of its profile there simply stays: on an unchanged
     * layout, and on a dynamic GPU whenever the new layout still holds its instance (NVIDIA's DRA driver makes
     * instances per claim, so the other placements change around it). Otherwise it moves.
     */
    private void keepDisplacedInPlace(
            GpuWork gpu, LayoutShape layout, boolean repartition, List<int[]> items, boolean[] taken) {
        for (int i = 0; i < gpu.current.size(); i++) {
            int demand = gpu.runningDemand[i];
            if (demand < 0) {
                continue;
            }
            int p = gpu.current.profileIndex()[i];
            int at = !repartition
                    ? i
                    : gpu.dynamic
                            ? LayoutFiller.instanceAt(layout, p, gpu.current.starts()[i])
                            : -1;
            int match = -1;
            for (int k = 0; k < items.size() && at >= 0 && !taken[at] && match < 0; k++) {
                if (items.get(k)[0] == demand && items.get(k)[1] == p) {
                    match = k;
                }
            }
            if (match >= 0) {
                items.remove(match);
                taken[at] = true;
                add(gpu, demand, at, layout, gpu.runningReplica[i]);
            } else {
                moved.add(gpu.runningReplica[i]);
            }
        }
    }

    private static int freeInstance(LayoutShape layout, boolean[] taken, int p) {
        for (int i = 0; i < layout.size(); i++) {
            if (!taken[i] && layout.profileIndex()[i] == p) {
                return i;
            }
        }
        throw new IllegalStateException("layout " + layout + " has no free instance of profile " + p);
    }

    private void add(GpuWork gpu, int demand, int instance, LayoutShape layout, String replica) {
        occupy(gpu, layout, instance);
        assignments.add(new Assignment(
                state.demand(demand).name(),
                state.input.nodeNames[gpu.node],
                gpu.index,
                gpu.catalog.profile(layout.profileIndex()[instance]).name(),
                layout.starts()[instance],
                replica != null,
                replica));
    }

    private void occupy(GpuWork gpu, LayoutShape layout, int instance) {
        occupiedSlices[gpu.id] +=
                gpu.catalog.profile(layout.profileIndex()[instance]).memorySlices();
        holdsReplica[gpu.id] = true;
    }

    private GpuPlan gpuPlan(GpuWork gpu, LayoutShape layout, boolean repartition) {
        return new GpuPlan(
                state.input.nodeNames[gpu.node], gpu.index, gpu.model, layout.instances(gpu.catalog), repartition);
    }
}
