package dev.quartet.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the hardware accepts: places a requested set of MIG instances on an empty GPU the way mig-parted does.
 *
 * <p>mig-parted cannot pin placements. It flattens the requested counts (largest compute size first), then tries
 * every distinct creation order until one succeeds; the driver gives each new instance the lowest legal free start
 * slot. If no order fits, the geometry is illegal for that GPU model.
 */
public final class MigGeometry {

    private MigGeometry() {}

    /** Result of a placement attempt: the instances in creation order, or why none fits. */
    public record Placement(List<MigInstance> instances, String error) {
        public static Placement of(List<MigInstance> instances) {
            return new Placement(List.copyOf(instances), null);
        }

        public static Placement illegal(String error) {
            return new Placement(List.of(), error);
        }

        public boolean legal() {
            return error == null;
        }
    }

    /** Places {@code counts} (profile name to count) on an empty GPU of {@code model}. */
    public static Placement place(GpuModel model, Map<String, Integer> counts) {
        List<MigProfile> flat = new ArrayList<>();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            Optional<MigProfile> profile = model.profile(e.getKey());
            if (profile.isEmpty()) {
                return Placement.illegal("profile " + e.getKey() + " does not exist on " + model.cliName()
                        + " (profiles: " + model.profiles() + ")");
            }
            if (e.getValue() < 0) {
                return Placement.illegal("negative count " + e.getValue() + " for " + e.getKey());
            }
            for (int i = 0; i < e.getValue(); i++) {
                flat.add(profile.get());
            }
        }
        String capacityError = checkCounts(model, flat);
        if (capacityError != null) {
            return Placement.illegal(capacityError);
        }
        // mig-parted's Flatten(): larger compute size first, then +me before plain
        flat.sort(Comparator.comparingInt(MigProfile::computeSlices)
                .reversed()
                .thenComparing(MigProfile::mediaExtensions, Comparator.reverseOrder())
                .thenComparing(MigProfile::name));
        List<MigInstance> found = tryOrders(model, flat.toArray(MigProfile[]::new), 0);
        if (found == null) {
            return Placement.illegal("no creation order fits " + describe(counts) + " on one " + model.cliName());
        }
        return Placement.of(found);
    }

    private static String checkCounts(GpuModel model, List<MigProfile> flat) {
        int mediaExtensions = 0;
        int compute = 0;
        int memory = 0;
        for (MigProfile p : model.profiles()) {
            long n = flat.stream().filter(p::equals).count();
            if (n > p.maxCount()) {
                return "at most " + p.maxCount() + " x " + p.name() + " fit on one " + model.cliName() + ", asked " + n;
            }
        }
        for (MigProfile p : flat) {
            mediaExtensions += p.mediaExtensions() ? 1 : 0;
            compute += p.computeSlices();
            memory += p.memorySlices();
        }
        if (mediaExtensions > 1) {
            return "at most one +me instance fits on one GPU, asked " + mediaExtensions;
        }
        if (compute > model.computeSlices() || memory > model.memorySlices()) {
            return "asked " + compute + " compute / " + memory + " memory slices, one " + model.cliName() + " has "
                    + model.computeSlices() + " / " + model.memorySlices();
        }
        return null;
    }

    /** mig-parted's iteratePermutationsUntilSuccess: swap-based, skipping orders that repeat a profile. */
    private static List<MigInstance> tryOrders(GpuModel model, MigProfile[] order, int i) {
        if (i >= order.length) {
            return create(model, List.of(order));
        }
        for (int j = i; j < order.length; j++) {
            if (shouldSwap(order, i, j)) {
                swap(order, i, j);
                List<MigInstance> result = tryOrders(model, order, i + 1);
                if (result != null) {
                    return result;
                }
                swap(order, i, j);
            }
        }
        return null;
    }

    private static boolean shouldSwap(MigProfile[] order, int start, int current) {
        for (int k = start; k < current; k++) {
            if (order[k].equals(order[current])) {
                return false;
            }
        }
        return true;
    }

    private static void swap(MigProfile[] a, int i, int j) {
        MigProfile t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /** Creates instances in this order, each at the lowest legal free start; null when one does not fit. */
    static List<MigInstance> create(GpuModel model, List<MigProfile> order) {
        List<MigInstance> placed = new ArrayList<>();
        int compute = 0;
        for (MigProfile p : order) {
            Optional<Integer> start = lowestFreeStart(placed, p);
            if (start.isEmpty() || compute + p.computeSlices() > model.computeSlices()) {
                return null;
            }
            compute += p.computeSlices();
            placed.add(new MigInstance(p, start.get()));
        }
        return placed;
    }

    /** The lowest legal start of {@code profile} not overlapping {@code existing}. */
    public static Optional<Integer> lowestFreeStart(List<MigInstance> existing, MigProfile profile) {
        if (existing.stream().filter(m -> m.profile().equals(profile)).count() >= profile.maxCount()) {
            return Optional.empty();
        }
        if (profile.mediaExtensions()
                && existing.stream().anyMatch(m -> m.profile().mediaExtensions())) {
            return Optional.empty();
        }
        return profile.starts().stream()
                .filter(s -> existing.stream().noneMatch(m -> m.overlaps(s, profile.memorySlices())))
                .findFirst();
    }

    /** {@code {1g.6gb=2, 2g.12gb=1}} as {@code 2x1g.6gb+1x2g.12gb}. */
    public static String describe(Map<String, Integer> counts) {
        StringBuilder sb = new StringBuilder();
        counts.forEach((k, v) -> {
            if (v > 0) {
                sb.append(sb.length() == 0 ? "" : "+").append(v).append('x').append(k);
            }
        });
        return sb.length() == 0 ? "no instances" : sb.toString();
    }
}
