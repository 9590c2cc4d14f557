package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where on one node a replica of a demand can go, best first by rules 6 and 8: cost, then spread over GPUs.
 * Keeps per node the free instances of each profile and the GPUs being repartitioned, so a node without a
 * free slot for a demand is passed over in constant time.
 */
final class NodeOptions implements PlacementState.Listener {

    private static final int PER_MODEL = LayoutCatalog.MAX_PROFILES;

    private final PlacementState state;
    /** Per node: its GPU models as a bit set by ordinal (at most {@link GpuModel#MAX_MODELS}, 64, models). */
    private final long[] nodeModels;
    /** Per node, per model and profile: free instances usable as they are. */
    private final int[][] freeInstances;
    /** Per node: GPUs opened for repartitioning. */
    private final int[] openGpus;
    /** Cluster-wide, per model: free instances per profile, opened GPUs per multiset, unopened free GPUs. */
    private final int[][] freeTotal;

    private final int[][] openByCode;
    private final int[] closedReopenable;
    /** Per node, per model: free GPUs not opened yet with memory slices left. */
    private final int[][] closedReopenableOn;
    /** Per model and profile: nodes with a free instance of it, nodes with an opened GPU with room for it; per
     * model: nodes with a free GPU not opened yet. */
    private final BitSet[][] nodesWithFree;

    private final BitSet[][] nodesWithOpenRoom;
    private final BitSet[] nodesWithClosed;
    private final Map<Long, int[]> candidatesByModels = new HashMap<>();

    NodeOptions(PlacementState state) {
        this.state = state;
        int nodes = state.input.nodeNames.length;
        int models = state.input.models.length;
        this.freeTotal = new int[models][PER_MODEL];
        this.openByCode = new int[models][];
        this.closedReopenable = new int[models];
        this.nodesWithFree = new BitSet[models][PER_MODEL];
        this.nodesWithOpenRoom = new BitSet[models][PER_MODEL];
        this.nodesWithClosed = new BitSet[models];
        this.nodeModels = new long[nodes];
        this.freeInstances = new int[nodes][models * PER_MODEL];
        this.openGpus = new int[nodes];
        this.closedReopenableOn = new int[nodes][models];
        for (GpuModel model : state.input.models) {
            openByCode[model.ordinal()] = new int[LayoutCatalog.of(model).codeSpace()];
            nodesWithClosed[model.ordinal()] = new BitSet();
            for (int p = 0; p < PER_MODEL; p++) {
                nodesWithFree[model.ordinal()][p] = new BitSet();
                nodesWithOpenRoom[model.ordinal()][p] = new BitSet();
            }
        }
        for (GpuWork gpu : state.gpus) {
            nodeModels[gpu.node] |= 1L << gpu.model.ordinal();
            after(gpu);
        }
        state.listen(this);
    }

    /** Eligible nodes with a GPU of a model the demand resolves on, in name order. */
    int[] candidateNodes(int d) {
        ResolvedDemand demand = state.demand(d);
        long models = 0;
        for (GpuModel model : state.input.models) {
            models |= demand.profileOn(model) >= 0 ? 1L << model.ordinal() : 0;
        }
        if (demand.eligibleCount == nodeModels.length) {
            return candidatesByModels.computeIfAbsent(models, m -> nodesWith(demand, m));
        }
        return nodesWith(demand, models);
    }

    private int[] nodesWith(ResolvedDemand demand, long models) {
        List<Integer> nodes = new ArrayList<>();
        for (int n = 0; n < nodeModels.length; n++) {
            if (demand.eligible[n] && (nodeModels[n] & models) != 0) {
                nodes.add(n);
            }
        }
        return nodes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether node {@code n} has a free instance or repartitioning room for the demand (no new repartition). */
    boolean hasFreeSlot(int n, int d) {
        ResolvedDemand demand = state.demand(d);
        for (GpuModel model : state.input.models) {
            int p = demand.profileOn(model);
            if (p >= 0 && freeInstances[n][model.ordinal() * PER_MODEL + p] > 0) {
                return true;
            }
        }
        if (openGpus[n] > 0) {
            for (int g : state.input.nodeGpus[n]) {
                GpuWork gpu = state.gpus[g];
                int p = demand.profileOn(gpu.model);
                if (p >= 0 && gpu.hasRoom(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Any place for one replica, cheapest first, ignoring spread: for a replica displaced or relocated under
     * trial. Null when there is none.
     */
    PlacementState.Option anywhere(int d) {
        PlacementState.Option free = anywhere(d, true);
        return free != null ? free : anywhere(d, false);
    }

    private PlacementState.Option anywhere(int d, boolean freeSlot) {
        ResolvedDemand demand = state.demand(d);
        if (freeSlot) {
            for (GpuModel model : state.input.models) {
                int p = demand.profileOn(model);
                PlacementState.Option option = p < 0 ? null : firstOption(nodesWithFree[model.ordinal()][p], d);
                if (option != null) {
                    return option;
                }
            }
            for (GpuModel model : state.input.models) {
                int p = demand.profileOn(model);
                PlacementState.Option option = p < 0 ? null : firstOption(nodesWithOpenRoom[model.ordinal()][p], d);
                if (option != null) {
                    return option;
                }
            }
            return null;
        }
        for (GpuModel model : state.input.models) {
            PlacementState.Option option =
                    demand.profileOn(model) < 0 ? null : firstOption(nodesWithClosed[model.ordinal()], d);
            if (option != null) {
                return option;
            }
        }
        return null;
    }

    private PlacementState.Option firstOption(BitSet nodes, int d) {
        ResolvedDemand demand = state.demand(d);
        for (int n = nodes.nextSetBit(0); n >= 0; n = nodes.nextSetBit(n + 1)) {
            PlacementState.Option option = demand.eligible[n] ? best(n, d) : null;
            if (option != null) {
                return option;
            }
        }
        return null;
    }

    /** Whether node {@code n} has a free GPU not opened yet of a model the demand resolves on. */
    boolean mayRepartition(int n, int d) {
        ResolvedDemand demand = state.demand(d);
        for (GpuModel model : state.input.models) {
            if (demand.profileOn(model) >= 0 && closedReopenableOn[n][model.ordinal()] > 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void before(GpuWork gpu) {
        count(gpu, -1);
    }

    @Override
    public void after(GpuWork gpu) {
        count(gpu, 1);
    }

    private void count(GpuWork gpu, int sign) {
        int m = gpu.model.ordinal();
        countGpu(gpu, sign, m);
        int n = gpu.node;
        for (int p : gpu.current.profileIndex()) {
            nodesWithFree[m][p].set(n, freeInstances[n][m * PER_MODEL + p] > 0);
        }
        nodesWithClosed[m].set(n, closedReopenableOn[n][m] > 0);
        if (sign > 0) {
            updateOpenRoom(n, gpu.model);
        }
    }

    private void updateOpenRoom(int n, GpuModel model) {
        LayoutCatalog catalog = LayoutCatalog.of(model);
        for (int p = 0; p < catalog.profileCount(); p++) {
            boolean room = false;
            for (int g : state.input.nodeGpus[n]) {
                GpuWork gpu = state.gpus[g];
                room |= gpu.model == model && gpu.hasRoom(p);
            }
            nodesWithOpenRoom[model.ordinal()][p].set(n, room);
        }
    }

    private void countGpu(GpuWork gpu, int sign, int m) {
        if (gpu.open) {
            openGpus[gpu.node] += sign;
            openByCode[m][gpu.openCode] += sign;
            return;
        }
        boolean roomy = gpu.reopenable && gpu.catalog.slicesUsed(gpu.plannedCode) < gpu.model.memorySlices();
        closedReopenable[m] += roomy ? sign : 0;
        closedReopenableOn[gpu.node][m] += roomy ? sign : 0;
        if (gpu.usableAsIs) {
            for (int i = 0; i < gpu.planned.length; i++) {
                if (gpu.runningDemand[i] == GpuWork.FREE && gpu.planned[i] == GpuWork.FREE) {
                    int p = gpu.current.profileIndex()[i];
                    freeInstances[gpu.node][m * PER_MODEL + p] += sign;
                    freeTotal[m][p] += sign;
                }
            }
        }
    }

    /** False when no GPU of the cluster could take the demand's profile without displacing anything. */
    boolean anyRoom(int d) {
        ResolvedDemand demand = state.demand(d);
        for (GpuModel model : state.input.models) {
            int p = demand.profileOn(model);
            int m = model.ordinal();
            if (p < 0) {
                continue;
            }
            if (freeTotal[m][p] > 0 || closedReopenable[m] > 0) {
                return true;
            }
            for (int code : LayoutCatalog.of(model).roomCodes(p)) {
                if (openByCode[m][code] > 0) {
                    return true;
                }
            }
        }
        return false;
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
                long key = key(option, gpu.count(d), demand.share[gpu.model.ordinal()]);
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
     * Smaller is better: cost; not stranding slices (rule 7); the profile's share of the GPU (a demand may resolve
     * on several models); replicas of the demand already on the GPU (rule 8); a kept GPU's free instance
     * before a free GPU's; the fuller GPU (best fit); for a repartition, a GPU with planned replicas, then one
     * without instances, then one whose layout is not usable as is; finally the GPU index.
     */
    private static long key(PlacementState.Option option, int sameDemand, int share) {
        GpuWork gpu = option.gpu();
        int rank = switch (option.kind()) {
            case EXACT -> gpu.reopenable ? 1 : 0;
            case ROOM -> 1;
            case OPEN -> gpu.hasPlanned() ? 0 : gpu.current.size() == 0 ? 1 : !gpu.usableAsIs ? 2 : 3;
            case DISPLACE -> 4;
        };
        long key = option.cost();
        key = key * 2 + (strands(option) ? 1 : 0);
        key = key * 16 + share;
        key = key * 64 + Math.min(sameDemand, 63);
        key = key * 8 + rank;
        key = key * 16 + (15 - Math.min(gpu.slicesUsed(), 15));
        return key * 1024 + Math.min(gpu.index, 1023);
    }

    /**
     * Taking a free instance of an idle GPU whose layout leaves memory slices uncovered strands them (rule 7):
     * a layout that is not full, or a full one such as 7 x 1g.10gb. A GPU that already holds a replica has
     * counted its uncovered slices already.
     */
    private static boolean strands(PlacementState.Option option) {
        GpuWork gpu = option.gpu();
        return option.kind() == PlacementState.Option.Kind.EXACT
                && gpu.runningCount() == 0
                && !gpu.hasPlanned()
                && gpu.catalog.slicesUsed(gpu.current.code()) < gpu.model.memorySlices();
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
                capacity += Math.max(1, (gpu.model.memorySlices() - gpu.slicesUsed()) / slices);
            } else if (gpu.reopenable && gpu.roomAfterOpening(p)) {
                capacity += gpu.model.memorySlices() / slices;
            }
        }
        return capacity;
    }
}
