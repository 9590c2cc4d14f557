package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.MigProfileName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Why each demand the plan leaves short is short, and by how many replicas. Blocked: a GPU the demand could use
 * has enough free memory slices, but replicas (running, or placed by this plan) pin its layout.
 */
final class UnsatisfiedReasons {

    private final PlacementState state;
    private final int[] occupiedSlices;
    private final boolean[] holdsReplica;

    /** Per model: whether the cluster has one, and the most free slices on a GPU its replicas pin (-1: none). */
    private final boolean[] present;

    private final int[] mostPinnedFree;

    UnsatisfiedReasons(PlacementState state, int[] occupiedSlices, boolean[] holdsReplica) {
        this.state = state;
        this.present = new boolean[state.input.models.length];
        this.mostPinnedFree = new int[state.input.models.length];
        this.occupiedSlices = occupiedSlices;
        this.holdsReplica = holdsReplica;
        Arrays.fill(mostPinnedFree, -1);
        for (GpuWork gpu : state.gpus) {
            present[gpu.model.ordinal()] = true;
            mostPinnedFree[gpu.model.ordinal()] = Math.max(mostPinnedFree[gpu.model.ordinal()], pinnedFree(gpu));
        }
    }

    private int pinnedFree(GpuWork gpu) {
        return holdsReplica[gpu.id] ? gpu.model.memorySlices() - occupiedSlices[gpu.id] : -1;
    }

    /** One entry per short demand, in demand-name order. */
    List<Unsatisfied> all() {
        List<Unsatisfied> unsatisfied = new ArrayList<>();
        for (ResolvedDemand demand : state.input.demands) {
            int missing = state.missing(demand.id);
            if (missing > 0) {
                unsatisfied.add(new Unsatisfied(demand.name(), missing, reason(demand)));
            }
        }
        return unsatisfied;
    }

    private UnsatisfiedReason reason(ResolvedDemand demand) {
        boolean modelMatches = false;
        boolean resolves = false;
        boolean blocked = false;
        boolean everyNode = demand.eligibleCount == state.input.nodeNames.length;
        for (GpuModel model : state.input.models) {
            boolean allowed =
                    present[model.ordinal()] && (demand.demand.gpuModel() == null || demand.demand.gpuModel() == model);
            int p = demand.profileOn(model);
            if (everyNode && allowed) {
                modelMatches = true;
                resolves |= p >= 0;
                blocked |= p >= 0
                        && mostPinnedFree[model.ordinal()]
                                >= LayoutCatalog.of(model).profile(p).memorySlices();
            }
        }
        for (int n = 0; n < state.input.nodeNames.length && !everyNode; n++) {
            for (int g : state.input.nodeGpus[n]) {
                GpuWork gpu = state.gpus[g];
                if (!demand.eligible[n] || demand.demand.gpuModel() != null && demand.demand.gpuModel() != gpu.model) {
                    continue;
                }
                modelMatches = true;
                int p = demand.profileOn(gpu.model);
                resolves |= p >= 0;
                blocked |= p >= 0 && pinnedFree(gpu) >= gpu.catalog.profile(p).memorySlices();
            }
        }
        if (!modelMatches) {
            return UnsatisfiedReason.NoMatchingGpuModel;
        }
        if (!resolves) {
            return tooLarge(demand) ? UnsatisfiedReason.ProfileTooLargeForModel : UnsatisfiedReason.NoMatchingGpuModel;
        }
        return blocked ? UnsatisfiedReason.BlockedByRunningReplicas : UnsatisfiedReason.InsufficientSlices;
    }

    /** The memory asked for (directly or by a profile of another model) exceeds every eligible model's largest. */
    private boolean tooLarge(ResolvedDemand demand) {
        int wanted = demand.demand.memoryGiB() != null ? demand.demand.memoryGiB() : namedProfileMemory(demand);
        for (GpuWork gpu : state.gpus) {
            boolean eligible = demand.eligible[gpu.node]
                    && (demand.demand.gpuModel() == null || demand.demand.gpuModel() == gpu.model);
            int largest = gpu.model.profiles().stream()
                    .mapToInt(MigProfile::memoryGiB)
                    .max()
                    .orElse(0);
            if (eligible && largest >= wanted) {
                return false;
            }
        }
        return true;
    }

    private int namedProfileMemory(ResolvedDemand demand) {
        int memory = 0;
        for (GpuModel model : state.input.models) {
            memory = Math.max(
                    memory,
                    model.profile(demand.demand.profile())
                            .map(MigProfile::memoryGiB)
                            .orElse(0));
        }
        if (memory == 0) {
            // A profile no model here has (one of a GPU reported elsewhere): the memory its name says.
            try {
                memory = MigProfileName.parse(demand.demand.profile()).memoryGb();
            } catch (IllegalArgumentException e) {
                memory = 0;
            }
        }
        return memory;
    }
}
