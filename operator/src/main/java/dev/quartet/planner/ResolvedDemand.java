package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.Arrays;
import java.util.Comparator;
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
    /** Nodes its running replicas may stay on (a superset of {@link #eligible} in practice). */
    final boolean[] keep;

    final int eligibleCount;
    /** The models it resolves on, the one where its profile takes the smallest share of a GPU first. */
    final GpuModel[] models;
    /** Per model: its profile's share of a GPU, in eighths (9 where it does not resolve). */
    final int[] share;
    /** Demands with the same key resolve to the same profile on every model. */
    final String profileKey;
    /** Smallest memory share over the models present in the cluster, in eighths of a GPU. */
    final int size;
    /** Legal starts x max count, summed over the models present: lower is harder to place. */
    final int flexibility;

    ResolvedDemand(int id, Demand demand, String[] nodeNames, Set<GpuModel> present, GpuModel[] models) {
        this.id = id;
        this.demand = demand;
        this.profileByModel = new int[models.length];
        int smallest = Integer.MAX_VALUE;
        int flexible = 0;
        for (GpuModel model : models) {
            Optional<MigProfile> profile = resolve(demand, model);
            LayoutCatalog catalog = LayoutCatalog.of(model);
            profileByModel[model.ordinal()] =
                    profile.map(p -> catalog.indexOf(p.name())).orElse(-1);
            if (profile.isPresent() && present.contains(model)) {
                smallest = Math.min(smallest, profile.get().memorySlices() * 8 / model.memorySlices());
                flexible += profile.get().starts().size() * profile.get().maxCount();
            }
        }
        this.size = smallest;
        this.share = new int[profileByModel.length];
        for (GpuModel model : models) {
            int p = profileByModel[model.ordinal()];
            share[model.ordinal()] =
                    p < 0 ? 9 : LayoutCatalog.of(model).profile(p).memorySlices() * 8 / model.memorySlices();
        }
        this.models = Arrays.stream(models)
                .filter(m -> profileByModel[m.ordinal()] >= 0)
                .sorted(Comparator.comparingInt((GpuModel m) -> share[m.ordinal()])
                        .thenComparing(m -> m))
                .toArray(GpuModel[]::new);
        this.flexibility = flexible;
        this.eligible = new boolean[nodeNames.length];
        this.keep = new boolean[nodeNames.length];
        int count = 0;
        for (int n = 0; n < nodeNames.length; n++) {
            eligible[n] = demand.eligible(nodeNames[n]);
            keep[n] = demand.mayKeep(nodeNames[n]);
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
            return model.profile(demand.profile());
        }
        return demand.memoryGiB() == null ? Optional.empty() : smallestFitting(model, demand.memoryGiB());
    }

    /** Quartet's choice for a memory demand: the smallest profile without media extensions that holds it. */
    static Optional<MigProfile> smallestFitting(GpuModel model, int memoryGiB) {
        return model.profiles().stream()
                .filter(p -> !p.mediaExtensions() && p.memoryGiB() >= memoryGiB)
                .min(Comparator.comparingInt(MigProfile::memoryGiB)
                        .thenComparingInt(MigProfile::memorySlices)
                        .thenComparingInt(MigProfile::computeSlices));
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
