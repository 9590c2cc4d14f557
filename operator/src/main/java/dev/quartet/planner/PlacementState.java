package dev.quartet.planner;

import java.util.ArrayList;
import java.util.List;

/**
 * The mutable state of one planning pass: every GPU's planned replicas, how many replicas each demand has and
 * where, with an undo journal so a tentative displacement can be rolled back.
 */
final class PlacementState {

    /** Notified around every change of a GPU, so a pass can keep its own indexes current. */
    interface Listener {
        void before(GpuWork gpu);

        void after(GpuWork gpu);
    }

    private static final Listener NONE = new Listener() {
        @Override
        public void before(GpuWork gpu) {}

        @Override
        public void after(GpuWork gpu) {}
    };

    final PlanInput input;
    final GpuWork[] gpus;
    final int[] satisfied;
    private final int[][] nodeCount;
    private final List<Runnable> journal = new ArrayList<>();
    private Listener listener = NONE;

    PlacementState(PlanInput input) {
        this(input, false);
    }

    /**
     * A fresh state; with {@code displaceAll}, every GPU whose running replicas may all move starts open and
     * those replicas start unplaced, as if nothing ran there (admission's view, blind to rule 4).
     */
    PlacementState(PlanInput input, boolean displaceAll) {
        this.input = input;
        this.gpus = input.buildGpus();
        this.satisfied = input.keptCount.clone();
        this.nodeCount = new int[input.demands.length][];
        for (GpuWork gpu : gpus) {
            for (int demand : gpu.runningDemand) {
                if (demand >= 0) {
                    counts(demand)[gpu.node]++;
                }
            }
        }
        if (displaceAll) {
            for (GpuWork gpu : gpus) {
                if (gpu.displaceable) {
                    open(gpu);
                }
            }
            commit();
        }
    }

    void listen(Listener listener) {
        this.listener = listener;
    }

    ResolvedDemand demand(int d) {
        return input.demands[d];
    }

    int missing(int d) {
        return Math.max(0, input.demands[d].replicas() - satisfied[d]);
    }

    /** Replicas of demand {@code d} on each node (kept running and planned). */
    int[] counts(int d) {
        if (nodeCount[d] == null) {
            nodeCount[d] = new int[input.nodeNames.length];
        }
        return nodeCount[d];
    }

    int mark() {
        return journal.size();
    }

    void rollback(int mark) {
        while (journal.size() > mark) {
            journal.remove(journal.size() - 1).run();
        }
    }

    /** Forgets the undo history (nothing before this point can be rolled back any more). */
    void commit() {
        journal.clear();
    }

    void apply(Option option, int d) {
        int p = input.demands[d].profileOn(option.gpu().model);
        switch (option.kind()) {
            case EXACT -> placeExact(option.gpu(), option.instance(), d);
            case ROOM -> placeOpen(option.gpu(), d, p);
            case OPEN -> {
                open(option.gpu());
                placeOpen(option.gpu(), d, p);
            }
            default -> throw new IllegalStateException("displacement is applied by Displacer");
        }
    }

    void placeExact(GpuWork gpu, int instance, int d) {
        change(gpu, () -> gpu.plan(instance, d));
        count(d, gpu.node, 1);
    }

    void placeOpen(GpuWork gpu, int d, int p) {
        change(gpu, () -> gpu.addOpen(d, p));
        count(d, gpu.node, 1);
    }

    /** Takes the replica planned on current instance {@code instance} off a GPU kept as it is. */
    void unplanExact(GpuWork gpu, int instance) {
        int d = gpu.planned[instance];
        change(gpu, () -> gpu.unplan(instance));
        count(d, gpu.node, -1);
    }

    /** Takes the {@code k}-th planned replica off an open GPU. */
    void removeOpen(GpuWork gpu, int k) {
        int d = gpu.openDemand[k];
        change(gpu, () -> gpu.removeOpen(k));
        count(d, gpu.node, -1);
    }

    /**
     * Opens a GPU for repartitioning: its planned replicas become a multiset; kept running replicas (all movable)
     * are displaced and their demands lose them. Returns the demands of the displaced replicas.
     */
    List<Integer> open(GpuWork gpu) {
        List<Integer> displaced = new ArrayList<>();
        if (gpu.hasKeptRunning()) {
            for (int demand : gpu.runningDemand) {
                if (demand >= 0) {
                    displaced.add(demand);
                    count(demand, gpu.node, -1);
                }
            }
        }
        change(gpu, () -> {
            int[] planned = gpu.planned;
            gpu.planned = planned.clone();
            gpu.open = true;
            gpu.displaced = !displaced.isEmpty();
            gpu.openCode = 0;
            gpu.openSize = 0;
            gpu.plannedCode = 0;
            for (int i = 0; i < planned.length; i++) {
                if (planned[i] != GpuWork.FREE) {
                    gpu.addOpen(planned[i], gpu.current.profileIndex()[i]);
                    gpu.planned[i] = GpuWork.FREE;
                }
            }
        });
        return displaced;
    }

    /** Keeps an open GPU whose planned replicas have all gone elsewhere as it is: it is not repartitioned. */
    void close(GpuWork gpu) {
        if (gpu.openSize > 0 || gpu.displaced) {
            throw new IllegalStateException("GPU " + gpu.index + " still holds planned or displaced replicas");
        }
        change(gpu, () -> gpu.open = false);
    }

    private void change(GpuWork gpu, Runnable mutation) {
        GpuWork.Snapshot before = gpu.snapshot();
        listener.before(gpu);
        mutation.run();
        listener.after(gpu);
        journal.add(() -> {
            listener.before(gpu);
            gpu.restore(before);
            listener.after(gpu);
        });
    }

    private void count(int d, int node, int delta) {
        satisfied[d] += delta;
        counts(d)[node] += delta;
        journal.add(() -> {
            satisfied[d] -= delta;
            counts(d)[node] -= delta;
        });
    }

    /** One way to place a replica on a GPU, with what it costs: 0 nothing, 1 a repartition, 2 moves. */
    record Option(GpuWork gpu, Kind kind, int instance) {

        enum Kind {
            EXACT,
            ROOM,
            OPEN,
            DISPLACE
        }

        int cost() {
            return switch (kind) {
                case EXACT, ROOM -> 0;
                case OPEN -> 1;
                case DISPLACE -> 2;
            };
        }
    }
}
