package dev.quartet.planner;

import java.util.List;

/**
 * Baseline: first-fit placement, highest priority first. A replica takes the first free instance of its profile;
 * otherwise the first GPU nothing runs on gets a new instance at the lowest legal start slot, next to the ones it
 * has (as creating MIG instances on demand would). It never moves a replica and never fills a layout.
 */
final class FirstFitBaseline {

    Plan plan(ClusterState state, List<Demand> demands) {
        BaselineLayouts layouts = new BaselineLayouts(state, demands);
        for (int d : layouts.missingReplicas()) {
            if (!layouts.placeOnFreeInstance(d)) {
                createInstance(layouts, d);
            }
        }
        return layouts.plan();
    }

    private static void createInstance(BaselineLayouts layouts, int d) {
        ResolvedDemand demand = layouts.input.demands[d];
        for (GpuWork gpu : layouts.gpus) {
            int p = demand.profileOn(gpu.model);
            if (p < 0 || !demand.eligible[gpu.node] || !layouts.canCreate(gpu)) {
                continue;
            }
            int start = layouts.lowestStart(gpu, p);
            if (start >= 0) {
                layouts.layouts.get(gpu.id).add(new BaselineLayouts.Slot(p, start, d, null));
                return;
            }
        }
    }
}
