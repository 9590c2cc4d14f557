package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.Arrays;

/**
 * One GPU while a plan is being built: its current layout and kept running replicas (fixed), and the new
 * replicas placed so far, either on its current free instances or, once opened for repartitioning, as a
 * multiset of profiles whose layout is chosen at the end.
 */
final class GpuWork {

    static final int FREE = -1;
    static final int FOREIGN = -2;

    final int id;
    final int node;
    final int index;
    final GpuModel model;
    final LayoutCatalog catalog;
    final LayoutShape current;
    /** Per current instance: the demand of the kept running replica, {@link #FOREIGN}, or {@link #FREE}. */
    final int[] runningDemand;

    final String[] runningReplica;
    /** No kept running replica and the node may be repartitioned: opening it moves nothing. */
    final boolean reopenable;
    /** Kept running replicas that may all be moved, on a node that may be repartitioned. */
    final boolean displaceable;
    /** New replicas may take its current free instances without a repartition. */
    final boolean usableAsIs;
    /**
     * Instances are made per claim (NVIDIA's DRA driver): a running replica keeps its instance through a change of
     * the GPU's other placements, so one displaced there stays when the new layout still holds its instance.
     */
    final boolean dynamic;

    /** Whether the current layout is full, once asked (the same for every pass over this GPU's copy). */
    private Boolean currentFull;

    boolean open;
    boolean displaced;
    int[] planned;
    /** The multiset of the replicas planned on current instances. */
    int plannedCode;

    int openCode;
    int[] openDemand = new int[8];
    int[] openProfile = new int[8];
    int openSize;

    GpuWork(
            int id,
            int node,
            int index,
            GpuModel model,
            LayoutShape current,
            int[] runningDemand,
            String[] runningReplica,
            boolean reopenable,
            boolean displaceable,
            boolean usableAsIs,
            boolean dynamic) {
        this.id = id;
        this.node = node;
        this.index = index;
        this.model = model;
        this.catalog = LayoutCatalog.of(model);
        this.current = current;
        this.runningDemand = runningDemand;
        this.runningReplica = runningReplica;
        this.reopenable = reopenable;
        this.displaceable = displaceable;
        this.usableAsIs = usableAsIs;
        this.dynamic = dynamic;
        this.planned = new int[current.size()];
        Arrays.fill(planned, FREE);
    }

    /** A fresh copy for another pass: same GPU, nothing planned. */
    GpuWork fresh() {
        return new GpuWork(
                id,
                node,
                index,
                model,
                current,
                runningDemand,
                runningReplica,
                reopenable,
                displaceable,
                usableAsIs,
                dynamic);
    }

    boolean currentIsFull() {
        if (currentFull == null) {
            currentFull = catalog.isFull(current);
        }
        return currentFull;
    }

    boolean hasKeptRunning() {
        if (displaced) {
            return false;
        }
        for (int demand : runningDemand) {
            if (demand != FREE) {
                return true;
            }
        }
        return false;
    }

    /** A current free instance of profile {@code p} new replicas may take, or -1. */
    int freeInstance(int p) {
        if (open || !usableAsIs) {
            return -1;
        }
        for (int i = 0; i < planned.length; i++) {
            if (current.profileIndex()[i] == p && runningDemand[i] == FREE && planned[i] == FREE) {
                return i;
            }
        }
        return -1;
    }

    /** Whether an open GPU can take one more instance of profile {@code p}. */
    boolean hasRoom(int p) {
        return open && catalog.plus(openCode, p) >= 0;
    }

    /** Whether opening this GPU (its planned replicas kept as a multiset) leaves room for profile {@code p}. */
    boolean roomAfterOpening(int p) {
        return !open && catalog.plus(plannedCode(), p) >= 0;
    }

    int plannedCode() {
        return plannedCode;
    }

    void plan(int instance, int demand) {
        planned[instance] = demand;
        plannedCode = catalog.plus(plannedCode, current.profileIndex()[instance]);
    }

    boolean hasPlanned() {
        for (int demand : planned) {
            if (demand != FREE) {
                return true;
            }
        }
        return open && openSize > 0;
    }

    /** Replicas of a demand on this GPU, kept running and planned. */
    int count(int demand) {
        int count = 0;
        if (!displaced) {
            for (int d : runningDemand) {
                count += d == demand ? 1 : 0;
            }
        }
        if (open) {
            for (int i = 0; i < openSize; i++) {
                count += openDemand[i] == demand ? 1 : 0;
            }
        } else {
            for (int d : planned) {
                count += d == demand ? 1 : 0;
            }
        }
        return count;
    }

    /** Memory slices in use after the planned replicas (open: the multiset; kept: the whole current layout). */
    int slicesUsed() {
        return open ? catalog.slicesUsed(openCode) : catalog.slicesUsed(current.code());
    }

    int runningCount() {
        int count = 0;
        for (int d : runningDemand) {
            count += d != FREE ? 1 : 0;
        }
        return count;
    }

    Snapshot snapshot() {
        return new Snapshot(
                open,
                displaced,
                planned.clone(),
                plannedCode,
                openCode,
                openDemand.clone(),
                openProfile.clone(),
                openSize);
    }

    void restore(Snapshot s) {
        open = s.open;
        displaced = s.displaced;
        planned = s.planned;
        plannedCode = s.plannedCode;
        openCode = s.openCode;
        openDemand = s.openDemand;
        openProfile = s.openProfile;
        openSize = s.openSize;
    }

    void addOpen(int demand, int p) {
        if (openSize == openDemand.length) {
            openDemand = Arrays.copyOf(openDemand, openSize * 2);
            openProfile = Arrays.copyOf(openProfile, openSize * 2);
        }
        openDemand[openSize] = demand;
        openProfile[openSize] = p;
        openSize++;
        openCode = catalog.plus(openCode, p);
    }

    void unplan(int instance) {
        planned[instance] = FREE;
        plannedCode = catalog.minus(plannedCode, current.profileIndex()[instance]);
    }

    void removeOpen(int k) {
        openCode = catalog.minus(openCode, openProfile[k]);
        openSize--;
        openDemand[k] = openDemand[openSize];
        openProfile[k] = openProfile[openSize];
    }

    /** The mutable part of a GPU, saved before a tentative change. */
    record Snapshot(
            boolean open,
            boolean displaced,
            int[] planned,
            int plannedCode,
            int openCode,
            int[] openDemand,
            int[] openProfile,
            int openSize) {}
}
