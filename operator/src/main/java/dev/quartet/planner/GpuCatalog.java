package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The MIG profiles of every supported GPU model (keyed on GI profile id) and the legality of a layout. */
public final class GpuCatalog {

    private static final List<Integer> A100_1G = List.of(0, 1, 2, 3, 4, 5, 6);
    private static final Map<GpuModel, List<MigProfile>> PROFILES = new EnumMap<>(GpuModel.class);

    static {
        PROFILES.put(
                GpuModel.A30,
                List.of(
                        new MigProfile(14, "1g.6gb", 1, 1, List.of(0, 1, 2, 3), 4, false, 6),
                        new MigProfile(21, "1g.6gb+me", 1, 1, List.of(0, 1, 2, 3), 1, true, 6),
                        new MigProfile(5, "2g.12gb", 2, 2, List.of(0, 2), 2, false, 12),
                        new MigProfile(6, "2g.12gb+me", 2, 2, List.of(0, 2), 1, true, 12),
                        new MigProfile(0, "4g.24gb", 4, 4, List.of(0), 1, false, 24)));
        PROFILES.put(GpuModel.A100_40GB, eightSlot("1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"));
        PROFILES.put(GpuModel.A100_80GB, eightSlot("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"));
        PROFILES.put(GpuModel.H100_80GB, eightSlot("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"));
    }

    private GpuCatalog() {}

    private static List<MigProfile> eightSlot(
            String gi19, String gi15, String gi14, String gi9, String gi5, String gi0) {
        return List.of(
                new MigProfile(19, gi19, 1, 1, A100_1G, 7, false, gib(gi19)),
                new MigProfile(15, gi15, 2, 1, List.of(0, 2, 4, 6), 4, false, gib(gi15)),
                new MigProfile(14, gi14, 2, 2, List.of(0, 2, 4), 3, false, gib(gi14)),
                new MigProfile(9, gi9, 4, 3, List.of(0, 4), 2, false, gib(gi9)),
                new MigProfile(5, gi5, 4, 4, List.of(0), 1, false, gib(gi5)),
                new MigProfile(0, gi0, 8, 7, List.of(0), 1, false, gib(gi0)));
    }

    private static int gib(String name) {
        return Integer.parseInt(name.substring(name.indexOf('.') + 1, name.indexOf("gb")));
    }

    /** The profiles of a model, smallest first. */
    public static List<MigProfile> profiles(GpuModel model) {
        return PROFILES.get(model);
    }

    public static int memorySlots(GpuModel model) {
        return model.memorySlots();
    }

    public static Optional<MigProfile> find(GpuModel model, String name) {
        return profiles(model).stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The named profile of a model; an unknown name is rejected with a message naming the legal ones. */
    public static MigProfile profile(GpuModel model, String name) {
        return find(model, name)
                .orElseThrow(() -> new IllegalArgumentException("unknown profile '" + name + "' for "
                        + model.displayName() + " (legal: " + legalNames(model) + ")"));
    }

    public static String legalNames(GpuModel model) {
        return profiles(model).stream().map(MigProfile::name).collect(Collectors.joining(", "));
    }

    /** Whether any model offers a profile of this name. */
    public static boolean isKnownProfile(String name) {
        return PROFILES.keySet().stream().anyMatch(model -> find(model, name).isPresent());
    }

    /** The smallest profile without media extensions whose memory holds {@code memoryGiB}. */
    public static Optional<MigProfile> smallestFitting(GpuModel model, int memoryGiB) {
        return profiles(model).stream()
                .filter(p -> !p.mediaExtension() && p.memoryGiB() >= memoryGiB)
                .min(Comparator.comparingInt(MigProfile::memoryGiB)
                        .thenComparingInt(MigProfile::memorySlices)
                        .thenComparingInt(MigProfile::computeSlices));
    }

    public static boolean isLegal(GpuModel model, List<Instance> instances) {
        return violations(model, instances).isEmpty();
    }

    /** Every reason the layout is illegal on the model, one line each; empty when it is legal. */
    public static List<String> violations(GpuModel model, List<Instance> instances) {
        List<String> problems = new ArrayList<>();
        boolean[] used = new boolean[model.memorySlots()];
        Map<String, Integer> counts = new java.util.HashMap<>();
        int mediaExtensions = 0;
        int compute = 0;
        for (Instance instance : instances) {
            Optional<MigProfile> found = find(model, instance.profile());
            if (found.isEmpty()) {
                problems.add("unknown profile '" + instance.profile() + "' for " + model.displayName() + " (legal: "
                        + legalNames(model) + ")");
                continue;
            }
            MigProfile profile = found.get();
            if (!profile.canStartAt(instance.start())) {
                problems.add(instance + ": start " + instance.start() + " is not legal (legal: "
                        + profile.starts().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")");
                continue;
            }
            for (int slot = instance.start(); slot < instance.start() + profile.memorySlices(); slot++) {
                if (used[slot]) {
                    problems.add(instance + ": overlaps another instance at memory slice " + slot);
                    break;
                }
                used[slot] = true;
            }
            int count = counts.merge(profile.name(), 1, Integer::sum);
            if (count == profile.maxCount() + 1) {
                problems.add("more than " + profile.maxCount() + " instance(s) of " + profile.name());
            }
            mediaExtensions += profile.mediaExtension() ? 1 : 0;
            compute += profile.computeSlices();
        }
        if (mediaExtensions > 1) {
            problems.add("more than one media-extension (+me) instance");
        }
        if (compute > model.computeSlots()) {
            problems.add("uses " + compute + " compute slices, more than the " + model.computeSlots() + " of a "
                    + model.displayName());
        }
        return problems;
    }
}
