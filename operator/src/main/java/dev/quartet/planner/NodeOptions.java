package dev.quartet.planner;

import java.util.ArrayList;
import java.util.List;

/** Where on one node a replica of a demand can go, best first by rules 6 and 8: cost, then spread over GPUs. */
final class NodeOptions {

    private final PlacementState state;
    private final int[] nodeModels;

    NodeOptions(PlacementState state) {
        this.state = state;
        this.nodeModels = new int[state.input.nodeNames.length];
        for (GpuWork gpu : state.gpus) {
            nodeModels[gpu.node] |= 1 << gpu.model.ordinal();
        }
    }

    /** Eligible nodes with a GPU of a model the demand resolves on, in name order. */
    List<Integer> candidateNodes(int d) {
        ResolvedDemand demand = state.demand(d);
        int models = 0;
        for (GpuModel model : GpuModel.values()) {
            models |= demand.profileOn(model) >= 0 ? 1 << model.ordinal() : 0;
        }
        List<Integer> nodes = new ArrayList<>();
        for (int n = 0; n < nodeModels.length; n++) {
            if (demand.eligible[n] && (nodeModels[n] & models) != 0) {
                nodes.add(n);
            }
        }
        return nodes;
    }

    /** The best non-displacing option on node {@code n} for one replica of demand {@code d}, or null. */
    PlacementState.Option best(int n, int d) {
        ResolvedDemand demand = state.demand(d);
        PlacementState.Option best = null;
        long bestKey = Long.MAX_VALUE;
        for (int g : state.input.nodeGpus[n]) {
            GpuWork gpu = state.gpus[g];
            int p = demand.profileOn(gpu.model);
            if (p < 0) {
                continue;
            }
            PlacementState.Option option = option(gpu, p);
            if (option != null) {
                long key = key(option, gpu.count(d));
                if (key < bestKey) {
                    best = option;
                    bestKey = key;
                }
            }
        }
        return best;
    }

    private PlacementState.Option option(GpuWork gpu, int p) {
        int instance = gpu.freeInstance(p);
        if (instance >= 0) {
            return new PlacementState.Option(gpu, PlacementState.Option.Kind.EXACT, instance);
        }
        if (gpu.hasRoom(p)) {
            return new PlacementState.Option(gpu, PlacementState.Option.Kind.ROOM, -1);
        }
        if (gpu.reopenable && gpu.roomAfterOpening(p)) {
            return new PlacementState.Option(gpu, PlacementState.Option.Kind.OPEN, -1);
        }
        return null;
    }

    /**
     * Smaller is better: cost; replicas of the demand already on the GPU (rule 8); a kept GPU's free instance
     * before a free GPU's; the fuller GPU (best fit); for a repartition, a GPU with planned replicas, then one
     * without instances, then one whose layout is not usable as is; finally the GPU index.
     */
    private static long key(PlacementState.Option option, int sameDemand) {
        GpuWork gpu = option.gpu();
        int rank = switch (option.kind()) {
            case EXACT -> gpu.reopenable ? 1 : 0;
            case ROOM -> 1;
            case OPEN -> gpu.hasPlanned() ? 0 : gpu.current.size() == 0 ? 1 : !gpu.usableAsIs ? 2 : 3;
            case DISPLACE -> 4;
        };
        long key = option.cost();
        key = key * 64 + Math.min(sameDemand, 63);
        key = key * 8 + rank;
        key = key * 16 + (15 - Math.min(gpu.slicesUsed(), 15));
        return key * 1024 + Math.min(gpu.index, 1023);
    }

    /** How many more replicas of the demand the node could take, roughly, for choosing where to pack. */
    int capacity(int n, int d) {
        ResolvedDemand demand = state.demand(d);
        int capacity = 0;
        for (int g : state.input.nodeGpus[n]) {
            GpuWork gpu = state.gpus[g];
            int p = demand.profileOn(gpu.model);
            if (p < 0) {
                continue;
            }
            int slices = gpu.catalog.profile(p).memorySlices();
            if (gpu.freeInstance(p) >= 0 || gpu.hasRoom(p)) {
                capacity += Math.max(1, (gpu.model.memorySlots() - gpu.slicesUsed()) / slices);
            } else if (gpu.reopenable && gpu.roomAfterOpening(p)) {
                capacity += gpu.model.memorySlots() / slices;
            }
        }
        return capacity;
    }
}
