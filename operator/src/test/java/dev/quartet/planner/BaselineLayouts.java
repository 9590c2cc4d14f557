package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Shared machinery of the benchmark baselines: GPUs as plain instance lists (built on the planner's own input
 * reading, so running, released and locked replicas are the same), and the plan they produce.
 */
final class BaselineLayouts {

    /** One instance of a baseline's layout and the demand placed on it (-1 free), with a running replica name. */
    static final class Slot {
        final int profile;
        final int start;
        int demand;
        String replica;

        Slot(int profile, int start, int demand, String replica) {
            this.profile = profile;
            this.start = start;
            this.demand = demand;
            this.replica = replica;
        }
    }

    final PlanInput input;
    final GpuWork[] gpus;
    final List<List<Slot>> layouts = new ArrayList<>();

    BaselineLayouts(ClusterState state, List<Demand> demands) {
        this.input = new PlanInput(state, demands);
        this.gpus = input.buildGpus();
        for (GpuWork gpu : gpus) {
            List<Slot> slots = new ArrayList<>();
            for (int i = 0; i < gpu.current.size(); i++) {
                int running = gpu.runningDemand[i];
                slots.add(new Slot(
                        gpu.current.profileIndex()[i], gpu.current.starts()[i], running, gpu.runningReplica[i]));
            }
            layouts.add(slots);
        }
    }

    /** Demand indexes by priority (highest first), then name; each missing replica once. */
    List<Integer> missingReplicas() {
        List<Integer> items = new ArrayList<>();
        int[] placed = input.keptCount.clone();
        List<ResolvedDemand> order = new ArrayList<>(List.of(input.demands));
        order.sort(Comparator.comparingInt((ResolvedDemand d) -> -d.priority()).thenComparing(ResolvedDemand::name));
        for (ResolvedDemand demand : order) {
            for (int r = placed[demand.id]; r < demand.replicas(); r++) {
                items.add(demand.id);
            }
        }
        return items;
    }

    /** A free instance of the demand's profile on a GPU it may use, first in node and index order. */
    boolean placeOnFreeInstance(int d) {
        ResolvedDemand demand = input.demands[d];
        for (GpuWork gpu : gpus) {
            int p = demand.profileOn(gpu.model);
            if (p < 0 || !demand.eligible[gpu.node]) {
                continue;
            }
            for (Slot slot : layouts.get(gpu.id)) {
                if (slot.profile == p && slot.demand == GpuWork.FREE) {
                    slot.demand = d;
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether instances may be created on the GPU: nothing runs there and its node may be repartitioned. */
    boolean canCreate(GpuWork gpu) {
        return gpu.reopenable;
    }

    /** The lowest legal start for a new instance of profile {@code p} next to the GPU's instances, or -1. */
    int lowestStart(GpuWork gpu, int p) {
        int used = layouts.get(gpu.id).stream()
                .mapToInt(s -> gpu.catalog.profile(s.profile).memorySlices())
                .sum();
        if (used + gpu.catalog.profile(p).memorySlices() > gpu.model.memorySlices()) {
            return -1;
        }
        LayoutShape shape = shape(gpu);
        for (int start : gpu.catalog.profile(p).starts()) {
            if (gpu.catalog.canAdd(shape, p, start)) {
                return start;
            }
        }
        return -1;
    }

    LayoutShape shape(GpuWork gpu) {
        List<Slot> slots = layouts.get(gpu.id);
        return LayoutShape.of(
                gpu.catalog,
                slots.stream().mapToInt(s -> s.profile).toArray(),
                slots.stream().mapToInt(s -> s.start).toArray());
    }

    Plan plan() {
        List<GpuPlan> gpuPlans = new ArrayList<>();
        List<Assignment> assignments = new ArrayList<>();
        int[] satisfied = new int[input.demands.length];
        for (GpuWork gpu : gpus) {
            LayoutShape shape = shape(gpu);
            String node = input.nodeNames[gpu.node];
            gpuPlans.add(new GpuPlan(
                    node, gpu.index, gpu.model, shape.instances(gpu.catalog), !shape.sameLayout(gpu.current)));
            for (Slot slot : layouts.get(gpu.id)) {
                if (slot.demand >= 0) {
                    satisfied[slot.demand]++;
                    assignments.add(new Assignment(
                            input.demands[slot.demand].name(),
                            node,
                            gpu.index,
                            gpu.catalog.profile(slot.profile).name(),
                            slot.start,
                            slot.replica != null,
                            slot.replica));
                }
            }
        }
        List<Unsatisfied> unsatisfied = new ArrayList<>();
        for (ResolvedDemand demand : input.demands) {
            if (satisfied[demand.id] < demand.replicas()) {
                unsatisfied.add(new Unsatisfied(
                        demand.name(), demand.replicas() - satisfied[demand.id], UnsatisfiedReason.InsufficientSlices));
            }
        }
        assignments.sort(Comparator.comparing(Assignment::demand)
                .thenComparing(Assignment::node)
                .thenComparingInt(Assignment::gpu)
                .thenComparingInt(Assignment::start));
        List<String> released = new ArrayList<>(input.released);
        released.sort(null);
        return new Plan(gpuPlans, assignments, List.of(), released, unsatisfied);
    }
}
