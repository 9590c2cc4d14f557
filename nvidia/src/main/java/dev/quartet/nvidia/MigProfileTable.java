package dev.quartet.nvidia;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The MIG geometry of one GPU: its compute and memory slices and its GPU-instance profiles, smallest first. Data, not
 * code: the known models' tables are read from {@code gpu-models.yaml}, and a table a node reports (NVML's profile
 * list) is built the same way. Says which layouts the hardware accepts and where mig-parted's creation orders put the
 * instances of a config.
 *
 * @param computeSlices compute slices of the whole GPU (4 on an A30, 7 on an A100)
 * @param memorySlices memory slices of the whole GPU (4 on an A30, 8 on an A100)
 * @param profiles the GPU-instance profiles
 */
public record MigProfileTable(int computeSlices, int memorySlices, List<MigProfile> profiles) {

    public MigProfileTable {
        profiles = List.copyOf(profiles);
        if (computeSlices < 1 || memorySlices < 1 || memorySlices > 30) {
            throw new IllegalArgumentException("a MIG GPU has 1 to 30 memory slices and at least one compute slice");
        }
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException("a MIG GPU has at least one profile");
        }
        Set<String> names = new HashSet<>();
        Set<Integer> ids = new HashSet<>();
        for (MigProfile p : profiles) {
            if (!names.add(p.name()) || !ids.add(p.giProfileId())) {
                throw new IllegalArgumentException(
                        "profile " + p.name() + " (GI profile id " + p.giProfileId() + ") is listed twice");
            }
            if (p.computeSlices() > computeSlices) {
                throw new IllegalArgumentException(
                        "profile " + p.name() + " needs more compute slices than the GPU has");
            }
            for (int start : p.starts()) {
                if (start < 0 || start + p.memorySlices() > memorySlices) {
                    throw new IllegalArgumentException("profile " + p.name() + " placed at " + start
                            + " would leave the GPU's " + memorySlices + " memory slices");
                }
            }
        }
    }

    /** The profile of exactly this name. */
    public Optional<MigProfile> profile(String name) {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * The profile a name written in a mig-parted config means on this GPU, as mig-parted resolves it against the
     * GPU's own profiles (NVIDIA/mig-parted pkg/mig/config/config.go, resolveMigProfileOnDevice, with go-nvlib's
     * {@code Matches}): {@code 1c.1g.6gb} is {@code 1g.6gb}. Empty for a name that is no valid profile name, or names
     * a profile this GPU does not have.
     */
    public Optional<MigProfile> matching(String written) {
        MigProfileName wanted;
        try {
            wanted = MigProfileName.parse(written);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return profiles.stream().filter(p -> p.parsedName().matches(wanted)).findFirst();
    }

    public Optional<MigProfile> profileWithId(int giProfileId) {
        return profiles.stream().filter(p -> p.giProfileId() == giProfileId).findFirst();
    }

    /** The profile names, comma-separated, smallest first. */
    public String names() {
        return profiles.stream().map(MigProfile::name).collect(Collectors.joining(", "));
    }

    /**
     * Every reason the hardware refuses these instances together, one line each; empty when it accepts them: each
     * start must be one of the profile's placements, instances may not share a memory slice, no profile more often
     * than its maximum, at most one instance with media extensions, no more compute slices than the GPU has.
     */
    public List<String> violations(List<GpuInstance> instances) {
        List<String> problems = new ArrayList<>();
        boolean[] used = new boolean[memorySlices];
        Map<String, Integer> counts = new HashMap<>();
        int mediaExtensions = 0;
        int compute = 0;
        for (GpuInstance instance : instances) {
            MigProfile profile = instance.profile();
            if (!profile.canStartAt(instance.start())) {
                problems.add(instance + ": start " + instance.start() + " is not legal (legal: "
                        + profile.starts().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")");
                continue;
            }
            for (int slot = instance.start(); slot < instance.end(); slot++) {
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
            mediaExtensions += profile.mediaExtensions() ? 1 : 0;
            compute += profile.computeSlices();
        }
        if (mediaExtensions > 1) {
            problems.add("more than one media-extension (+me) instance");
        }
        if (compute > computeSlices) {
            problems.add("uses " + compute + " compute slices, more than the GPU's " + computeSlices);
        }
        return problems;
    }

    /** The outcome of placing a config's instances on an empty GPU: the instances in creation order, or why not. */
    public record Placement(List<GpuInstance> instances, String error) {
        public Placement {
            instances = List.copyOf(instances);
        }

        static Placement of(List<GpuInstance> instances) {
            return new Placement(instances, null);
        }

        static Placement refused(String error) {
            return new Placement(List.of(), error);
        }

        public boolean legal() {
            return error == null;
        }
    }

    /**
     * Where the instances of a mig-parted {@code mig-devices} map end up on an empty GPU, or why none fits. mig-parted
     * cannot pin placements: it flattens the counts, larger profiles first, then tries every distinct creation order
     * until one succeeds (NVIDIA/mig-parted pkg/types/mig_config.go {@code Flatten}, pkg/mig/config/config.go
     * {@code iteratePermutationsUntilSuccess}); the driver gives each new instance a free placement, taken here to be
     * the lowest legal one. Names are resolved as mig-parted does ({@link #matching}).
     */
    public Placement place(Map<String, Integer> counts) {
        List<MigProfile> flat = new ArrayList<>();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            Optional<MigProfile> profile = matching(e.getKey());
            if (profile.isEmpty()) {
                return Placement.refused(
                        "MIG profile " + e.getKey() + " not found on this GPU (profiles: " + names() + ")");
            }
            if (e.getValue() < 0) {
                return Placement.refused("negative count " + e.getValue() + " for " + e.getKey());
            }
            for (int i = 0; i < e.getValue(); i++) {
                flat.add(profile.get());
            }
        }
        String refusal = countRefusal(flat);
        if (refusal != null) {
            return Placement.refused(refusal);
        }
        // Flatten(): more GPU slices first, then more compute slices, then attributes in reverse order (+me before
        // none); Go leaves other ties to chance, the name decides them here.
        flat.sort(Comparator.comparing((MigProfile p) -> p.parsedName().gpuSlices())
                .thenComparing(p -> p.parsedName().computeSlices())
                .thenComparing(p -> String.join(",", p.parsedName().attributes()))
                .reversed()
                .thenComparing(MigProfile::name));
        List<GpuInstance> found = tryOrders(flat.toArray(MigProfile[]::new), 0);
        return found == null ? Placement.refused("no creation order fits them on one GPU") : Placement.of(found);
    }

    private String countRefusal(List<MigProfile> flat) {
        for (MigProfile p : profiles) {
            long n = flat.stream().filter(p::equals).count();
            if (n > p.maxCount()) {
                return "at most " + p.maxCount() + " x " + p.name() + " fit on one GPU, asked " + n;
            }
        }
        long mediaExtensions = flat.stream().filter(MigProfile::mediaExtensions).count();
        if (mediaExtensions > 1) {
            return "at most one instance with media extensions fits on one GPU, asked " + mediaExtensions;
        }
        int compute = flat.stream().mapToInt(MigProfile::computeSlices).sum();
        int memory = flat.stream().mapToInt(MigProfile::memorySlices).sum();
        if (compute > computeSlices || memory > memorySlices) {
            return "asked " + compute + " compute / " + memory + " memory slices, the GPU has " + computeSlices + " / "
                    + memorySlices;
        }
        return null;
    }

    /** {@code iteratePermutationsUntilSuccess}: swap-based, skipping orders that only swap equal profiles. */
    private List<GpuInstance> tryOrders(MigProfile[] order, int i) {
        if (i >= order.length) {
            return create(List.of(order));
        }
        for (int j = i; j < order.length; j++) {
            if (shouldSwap(order, i, j)) {
                swap(order, i, j);
                List<GpuInstance> result = tryOrders(order, i + 1);
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

    /** Creates the instances in this order, each at its lowest free legal start; null when one does not fit. */
    private List<GpuInstance> create(List<MigProfile> order) {
        List<GpuInstance> placed = new ArrayList<>();
        int compute = 0;
        for (MigProfile p : order) {
            Optional<Integer> start = lowestFreeStart(placed, p);
            if (start.isEmpty() || compute + p.computeSlices() > computeSlices) {
                return null;
            }
            compute += p.computeSlices();
            placed.add(new GpuInstance(p, start.get()));
        }
        return placed;
    }

    /** The lowest legal start of {@code profile} that a GPU holding {@code existing} can give a new instance. */
    public static Optional<Integer> lowestFreeStart(List<GpuInstance> existing, MigProfile profile) {
        if (existing.stream().filter(i -> i.profile().equals(profile)).count() >= profile.maxCount()) {
            return Optional.empty();
        }
        if (profile.mediaExtensions()
                && existing.stream().anyMatch(i -> i.profile().mediaExtensions())) {
            return Optional.empty();
        }
        return profile.starts().stream()
                .filter(s -> existing.stream().noneMatch(i -> i.overlaps(s, profile.memorySlices())))
                .findFirst();
    }
}
