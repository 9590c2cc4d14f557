package dev.quartet.inventory;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.planner.Instance;
import dev.quartet.planner.LayoutCatalog;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns per-profile instance counts (all a mig-parted config or the device plugin tells) into placed instances,
 * consistent with instances whose start is known from pods. mig-parted cannot pin starts, so free instances get
 * the lowest legal starts, largest profiles first.
 */
public final class LayoutPlacement {

    private LayoutPlacement() {}

    /** A legal layout with exactly these counts that contains every known instance, or empty if none exists. */
    public static Optional<List<Instance>> place(GpuModel model, Map<String, Integer> counts, List<Instance> known) {
        List<MigProfile> toPlace = new ArrayList<>();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            Optional<MigProfile> profile = model.profile(e.getKey());
            if (profile.isEmpty()) {
                return Optional.empty();
            }
            long alreadyKnown =
                    known.stream().filter(i -> i.profile().equals(e.getKey())).count();
            for (long i = alreadyKnown; i < e.getValue(); i++) {
                toPlace.add(profile.get());
            }
        }
        for (Instance k : known) {
            if (counts.getOrDefault(k.profile(), 0)
                    < known.stream()
                            .filter(i -> i.profile().equals(k.profile()))
                            .count()) {
                return Optional.empty();
            }
        }
        if (!LayoutCatalog.isLegal(model, known)) {
            return Optional.empty();
        }
        toPlace.sort(
                Comparator.comparingInt(MigProfile::memorySlices).reversed().thenComparing(MigProfile::name));
        List<Instance> layout = new ArrayList<>(known);
        if (!fill(model, toPlace, 0, layout)) {
            return Optional.empty();
        }
        layout.sort(Comparator.comparingInt(Instance::start).thenComparing(Instance::profile));
        return Optional.of(List.copyOf(layout));
    }

    private static boolean fill(GpuModel model, List<MigProfile> toPlace, int next, List<Instance> layout) {
        if (next == toPlace.size()) {
            return true;
        }
        MigProfile profile = toPlace.get(next);
        for (int start : profile.starts()) {
            layout.add(new Instance(profile.name(), start));
            if (LayoutCatalog.isLegal(model, layout) && fill(model, toPlace, next + 1, layout)) {
                return true;
            }
            layout.remove(layout.size() - 1);
        }
        return false;
    }
}
