package dev.quartet.planner;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/** A demand with its profile resolved for each GPU model, its eligible nodes and its ordering keys. */
final class ResolvedDemand {

    final int id;
    final Demand demand;
    /** Per {@link GpuModel#ordinal()}: the index of the resolved profile in the model's list, or -1. */
    final int[] profileByModel;
    /** Per node index: whether the demand may run there. */
    final boolean[] eligible;
    final int eligibleCount;
    /** Demands with the same key resolve to the same profile on every model. */
    final String profileKey;
    /** Smallest memory share over the models present in the cluster, in eighths of a GPU. */
    final int size;
    /** Smallest (legal starts x max count) over the models: lower is harder to place. */
    final int flexibility;

    ResolvedDemand(int id, Demand demand, String[] nodeNames, Set<GpuModel> present) {
        this.id = id;
        this.demand = demand;
        this.profileByModel = new int[GpuModel.values().length];
        int smallest = Integer.MAX_VALUE;
        int leastFlexible = Integer.MAX_VALUE;
        for (GpuModel model : GpuModel.values()) {
            Optional<MigProfile> profile = resolve(demand, model);
            LayoutCatalog catalog = LayoutCatalog.of(model);
            profileByModel[model.ordinal()] = profile.map(p -> catalog.indexOf(p.name())).orElse(-1);
            if (profile.isPresent() && present.contains(model)) {
                smallest = Math.min(smallest, profile.get().memorySlices() * 8 / model.memorySlots());
                leastFlexible = Math.min(leastFlexible, profile.get().starts().size() * profile.get().maxCount());
            }
        }
        this.size = smallest;
        this.flexibility = leastFlexible;
        this.eligible = new boolean[nodeNames.length];
        int count = 0;
        for (int n = 0; n < nodeNames.length; n++) {
            eligible[n] = demand.eligible(nodeNames[n]);
            count += eligible[n] ? 1 : 0;
        }
        this.eligibleCount = count;
        this.profileKey = Arrays.toString(profileByModel);
    }

    /** The profile a demand uses on a model: its named profile, or the smallest that holds its memory. */
    static Optional<MigProfile> resolve(Demand demand, GpuModel model) {
        if (demand.gpuModel() != null && demand.gpuModel() != model) {
            return Optional.empty();
        }
        if (demand.profile() != null) {
            return GpuCatalog.find(model, demand.profile());
        }
        return demand.memoryGiB() == null ? Optional.empty() : GpuCatalog.smallestFitting(model, demand.memoryGiB());
    }

    int profileOn(GpuModel model) {
        return profileByModel[model.ordinal()];
    }

    String name() {
        return demand.name();
    }

    int priority() {
        return demand.priority();
    }

    int replicas() {
        return demand.replicas();
    }

    boolean pack() {
        return demand.placement() == Placement.PACK;
    }

    @Override
    public String toString() {
        return demand.name();
    }
}
