package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * A lower bound on the stranded slices ({@link PlanQuality}) of any plan that places a given number of replicas
 * of each demand on a cluster: the benchmark computes it for each row's own per-demand counts, so a row's gap to
 * it is how far that planner is from the best layout for what it placed.
 *
 * <p>What it keeps of the problem: every GPU model's profile table (which multisets of profiles some legal layout
 * holds, start slots, {@code +me} and per-profile maxima included, from {@link LayoutCatalog}); the GPUs whose
 * layout no plan may change (a foreign workload, a running replica that may not move, a fixed node or GPU, and,
 * for plans that move nothing, any kept running replica): their current layout, their stranded slices when they
 * hold a replica, their free instances; how many GPUs of each model may be repartitioned; each demand's profile on
 * each model and its pinned model. What it drops, so that every plan of every planner (that moves nothing, for the
 * no-move bound) is a solution of it: nodes (eligibility, spread, {@code pack}), which movable replicas move,
 * repartitions (any GPU that may change gets the layout that suits it best: its stranded slices are {@code
 * memorySlices - bestCover} of the multiset it holds), priorities, and integrality.
 *
 * <p>The model: per model, {@code x[c]} GPUs repartitioned to hold multiset {@code c} (cost: the slices the best
 * full layout holding {@code c} leaves uncovered), at most the model's repartitionable GPUs; {@code z[g]} idle GPUs
 * of a fixed layout {@code g} used as they are (cost: that layout's uncovered slices); {@code y[k][m]} replicas of
 * the demands of class {@code k} (same profile on every model) on model {@code m}, summing to what the plan placed
 * of them less their pinned running replicas; per model and profile, replicas at most the instances of that profile
 * in the chosen multisets, the used fixed layouts and the free instances of occupied fixed GPUs. The LP optimum,
 * rounded up, plus the slices the occupied fixed GPUs strand anyway, is the bound. The LP has a few hundred to a
 * thousand columns and solves with ojAlgo's simplex in tens of milliseconds.
 */
final class StrandingBound {

    /** {@code bound}: stranded slices no plan placing these replicas can go under; -1 when the LP failed. */
    record Result(long bound, long pinned, double lp, int columns, long millis, String state) {}

    private StrandingBound() {}

    /**
     * The bound for plans placing what {@code plan} placed of each demand; with {@code movesAllowed} false, for
     * those that also move nothing (every GPU running a kept replica keeps its layout, as for a plan that moves
     * none), else for any number of moves (every GPU whose running replicas may all move may be repartitioned).
     */
    static Result of(ClusterState state, List<Demand> demands, Plan plan, boolean movesAllowed) {
        long start = System.nanoTime();
        PlanInput input = new PlanInput(state, demands);
        int[] placed = new int[input.demands.length];
        plan.assignments().forEach(a -> {
            int d = input.demandIndex(a.demand());
            if (d >= 0) {
                placed[d]++;
            }
        });
        GpuModel[] models = GpuModel.values();
        int[] repartitionable = new int[models.length];
        int[][] freeOnOccupied = new int[models.length][];
        Map<String, int[]> idleFixed = new LinkedHashMap<>(); // model ordinal, code, uncovered, count
        boolean[] present = new boolean[models.length];
        long pinned = 0;
        for (GpuWork gpu : input.buildGpus()) {
            int m = gpu.model.ordinal();
            present[m] = true;
            if (freeOnOccupied[m] == null) {
                freeOnOccupied[m] = new int[gpu.catalog.profileCount()];
            }
            if (gpu.reopenable || gpu.displaceable && movesAllowed) {
                repartitionable[m]++;
                continue;
            }
            boolean occupied = false;
            for (int d : gpu.runningDemand) {
                if (d != GpuWork.FREE) {
                    occupied = true;
                    if (d >= 0) {
                        placed[d]--; // a pinned running replica: where it is, whatever the plan
                    }
                }
            }
            int uncovered = gpu.model.memorySlices() - gpu.catalog.slicesUsed(gpu.current.code());
            if (occupied) {
                pinned += uncovered;
                for (int i = 0; i < gpu.runningDemand.length; i++) {
                    if (gpu.runningDemand[i] == GpuWork.FREE) {
                        freeOnOccupied[m][gpu.current.profileIndex()[i]]++;
                    }
                }
            } else if (gpu.current.size() > 0) {
                idleFixed
                        .computeIfAbsent(
                                m + "/" + gpu.current.code(), k -> new int[] {m, gpu.current.code(), uncovered, 0})[
                        3]++;
            }
        }
        // Demands that resolve to the same profile on every model are one class.
        Map<String, long[]> classes = new LinkedHashMap<>();
        Map<String, int[]> classProfiles = new LinkedHashMap<>();
        for (ResolvedDemand demand : input.demands) {
            int r = Math.max(0, placed[demand.id]);
            if (r == 0) {
                continue;
            }
            int[] profiles = demand.profileByModel.clone();
            for (int m = 0; m < models.length; m++) {
                if (!present[m]) {
                    profiles[m] = -1;
                }
            }
            String key = Arrays.toString(profiles);
            classes.computeIfAbsent(key, k -> new long[1])[0] += r;
            classProfiles.put(key, profiles);
        }

        ExpressionsBasedModel lp = new ExpressionsBasedModel();
        List<Expression[]> supply = new ArrayList<>();
        int columns = 0;
        for (int m = 0; m < models.length; m++) {
            if (!present[m]) {
                supply.add(null);
                continue;
            }
            LayoutCatalog catalog = LayoutCatalog.of(models[m]);
            Expression[] perProfile = new Expression[catalog.profileCount()];
            for (int p = 0; p < perProfile.length; p++) {
                perProfile[p] = lp.addExpression("supply-" + m + "-" + p).upper(freeOnOccupied[m][p]);
            }
            supply.add(perProfile);
            if (repartitionable[m] > 0) {
                Expression gpus = lp.addExpression("gpus-" + m).upper(repartitionable[m]);
                for (int code : undominated(catalog)) {
                    int strand = models[m].memorySlices() - catalog.bestCover(code);
                    Variable x = lp.addVariable("x-" + m + "-" + code).lower(0).weight(strand);
                    columns++;
                    gpus.set(x, 1);
                    for (int p = 0; p < perProfile.length; p++) {
                        int count = catalog.count(code, p);
                        if (count > 0) {
                            perProfile[p].set(x, -count);
                        }
                    }
                }
            }
        }
        for (int[] group : idleFixed.values()) {
            LayoutCatalog catalog = LayoutCatalog.of(models[group[0]]);
            Variable z = lp.addVariable("z-" + group[0] + "-" + group[1])
                    .lower(0)
                    .upper(group[3])
                    .weight(group[2]);
            columns++;
            for (int p = 0; p < catalog.profileCount(); p++) {
                int count = catalog.count(group[1], p);
                if (count > 0) {
                    supply.get(group[0])[p].set(z, -count);
                }
            }
        }
        int k = 0;
        for (Map.Entry<String, long[]> entry : classes.entrySet()) {
            int[] profiles = classProfiles.get(entry.getKey());
            Expression all = lp.addExpression("class-" + k).level(entry.getValue()[0]);
            for (int m = 0; m < models.length; m++) {
                if (profiles[m] >= 0) {
                    Variable y = lp.addVariable("y-" + k + "-" + m).lower(0);
                    columns++;
                    all.set(y, 1);
                    supply.get(m)[profiles[m]].set(y, 1);
                }
            }
            k++;
        }
        Optimisation.Result result = lp.minimise();
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (!result.getState().isOptimal()) {
            return new Result(
                    -1, pinned, Double.NaN, columns, millis, result.getState().toString());
        }
        double value = result.getValue();
        long bound = pinned + (long) Math.ceil(value - 1e-6);
        return new Result(
                bound, pinned, value, columns, millis, result.getState().toString());
    }

    /**
     * The non-empty multisets some legal layout holds, without those another one contains at no higher cost (it
     * offers every instance they do): the LP only ever needs the others.
     */
    static List<Integer> undominated(LayoutCatalog catalog) {
        int slices = catalog.model().memorySlices();
        List<Integer> codes = new ArrayList<>();
        for (int code = 1; code < catalog.codeSpace(); code++) {
            if (catalog.isFeasible(code)) {
                codes.add(code);
            }
        }
        List<Integer> kept = new ArrayList<>();
        for (int code : codes) {
            int strand = slices - catalog.bestCover(code);
            boolean dominated = false;
            for (int other : codes) {
                if (other != code && catalog.contains(other, code) && slices - catalog.bestCover(other) <= strand) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                kept.add(code);
            }
        }
        return kept;
    }
}
