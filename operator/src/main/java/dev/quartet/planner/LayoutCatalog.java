package dev.quartet.planner;

import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.MigProfileTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Every legal layout of each GPU model, enumerated once from the model's MIG profile table (the hardware's rules are
 * NVIDIA's, in {@link MigProfileTable}): which multisets of profiles fit on one GPU (start slots included), and the
 * full layouts (no slot where another legal instance would fit). Multisets are encoded as mixed-radix integers
 * ("codes") over the model's profile list.
 */
public final class LayoutCatalog {

    /** The most profiles a model may have: the planner keeps a fixed number of counters per model. */
    public static final int MAX_PROFILES = 8;

    /** The most multisets a model's codes may span (the H100's 7 profiles span 7,680). */
    public static final int MAX_CODE_SPACE = 1 << 17;

    /**
     * The catalogs by {@link GpuModel#ordinal()}, built on first use (a model registered at run time gets its own
     * then); replaced whole, under the class lock, when one is added, so a reader sees a complete array.
     */
    private static volatile LayoutCatalog[] catalogs = new LayoutCatalog[0];

    static {
        GpuModel.builtIns().forEach(LayoutCatalog::of);
    }

    private final GpuModel model;
    private final List<MigProfile> profiles;
    /** Per profile index: whether it carries media extensions (asked in the hot loops). */
    private final boolean[] mediaExtensions;

    private final int[] radix;
    private final int[] weight;
    private final boolean[] feasible;
    private final int[] slicesByCode;
    private final int[][] roomCodes;
    /** Per multiset: the most memory slices a full layout holding it covers, -1 when none holds it. */
    private final int[] coverByCode;

    private final List<int[]> placements;
    private final List<LayoutShape> legal = new ArrayList<>();
    private final List<LayoutShape> full = new ArrayList<>();

    private LayoutCatalog(GpuModel model) {
        this.model = model;
        this.profiles = model.profiles();
        this.mediaExtensions = new boolean[profiles.size()];
        for (int p = 0; p < profiles.size(); p++) {
            mediaExtensions[p] = profiles.get(p).mediaExtensions();
        }
        this.radix = new int[profiles.size()];
        this.weight = new int[profiles.size()];
        int size = 1;
        for (int p = 0; p < profiles.size(); p++) {
            radix[p] = profiles.get(p).maxCount() + 1;
            weight[p] = size;
            size *= radix[p];
        }
        this.feasible = new boolean[size];
        this.placements = placements();
        enumerate(placements, 0, new ArrayList<>());
        for (LayoutShape shape : legal) {
            feasible[shape.code()] = true;
        }
        for (LayoutShape shape : legal) {
            if (isFull(shape)) {
                full.add(shape);
            }
        }
        this.slicesByCode = new int[size];
        for (int code = 0; code < size; code++) {
            for (int p = 0; p < profiles.size(); p++) {
                slicesByCode[code] += count(code, p) * profiles.get(p).memorySlices();
            }
        }
        this.coverByCode = new int[size];
        Arrays.fill(coverByCode, -1);
        for (LayoutShape shape : full) {
            for (int code = 0; code < size; code++) {
                if (slicesByCode[shape.code()] > coverByCode[code] && contains(shape.code(), code)) {
                    coverByCode[code] = slicesByCode[shape.code()];
                }
            }
        }
        this.roomCodes = new int[profiles.size()][];
        for (int p = 0; p < profiles.size(); p++) {
            int profile = p;
            roomCodes[p] = IntStream.range(0, size)
                    .filter(c -> feasible[c] && plus(c, profile) >= 0)
                    .boxed()
                    .sorted(Comparator.comparingInt((Integer c) -> -slicesByCode[c])
                            .thenComparingInt(c -> c))
                    .mapToInt(Integer::intValue)
                    .toArray();
        }
    }

    /** The feasible multisets with room for one more of profile {@code p}, fullest first. */
    public int[] roomCodes(int p) {
        return roomCodes[p];
    }

    public static LayoutCatalog of(GpuModel model) {
        LayoutCatalog[] known = catalogs;
        int m = model.ordinal();
        return m < known.length && known[m] != null ? known[m] : build(model);
    }

    private static synchronized LayoutCatalog build(GpuModel model) {
        int m = model.ordinal();
        if (m < catalogs.length && catalogs[m] != null) {
            return catalogs[m];
        }
        String problem = problem(model.migTable());
        if (problem != null) {
            throw new IllegalArgumentException(model.displayName() + ": " + problem);
        }
        LayoutCatalog catalog = new LayoutCatalog(model);
        LayoutCatalog[] next = Arrays.copyOf(catalogs, Math.max(catalogs.length, m + 1));
        next[m] = catalog;
        catalogs = next;
        return catalog;
    }

    /**
     * Why the planner cannot plan a GPU of this MIG table, or null when it can: more than {@link #MAX_PROFILES}
     * profiles, or more than {@link #MAX_CODE_SPACE} multisets of them. A table a node agent reports is checked so
     * before its node is planned.
     */
    public static String problem(MigProfileTable table) {
        if (table.profiles().size() > MAX_PROFILES) {
            return "its MIG table has " + table.profiles().size() + " profiles, Quartet plans at most " + MAX_PROFILES;
        }
        long size = 1;
        for (MigProfile p : table.profiles()) {
            size *= p.maxCount() + 1L;
            if (size > MAX_CODE_SPACE) {
                return "its MIG table allows more profile combinations than Quartet enumerates (" + MAX_CODE_SPACE
                        + ")";
            }
        }
        return null;
    }

    /** Whether the model's hardware accepts these instances together. */
    public static boolean isLegal(GpuModel model, List<Instance> instances) {
        return violations(model, instances).isEmpty();
    }

    /**
     * Every reason the layout is illegal on the model, one line each; empty when it is legal: profiles the model
     * lacks, and what {@link MigProfileTable#violations} finds.
     */
    public static List<String> violations(GpuModel model, List<Instance> instances) {
        List<String> problems = new ArrayList<>();
        List<GpuInstance> known = new ArrayList<>();
        for (Instance instance : instances) {
            Optional<MigProfile> profile = model.profile(instance.profile());
            if (profile.isEmpty()) {
                problems.add("unknown profile '" + instance.profile() + "' for " + model.displayName() + " (legal: "
                        + model.profileNames() + ")");
            } else {
                known.add(new GpuInstance(profile.get(), instance.start()));
            }
        }
        problems.addAll(model.migTable().violations(known));
        return problems;
    }

    public GpuModel model() {
        return model;
    }

    public int profileCount() {
        return profiles.size();
    }

    public MigProfile profile(int index) {
        return profiles.get(index);
    }

    /** The index of a profile name in the model's profile list, or -1. */
    public int indexOf(String name) {
        for (int p = 0; p < profiles.size(); p++) {
            if (profiles.get(p).name().equals(name)) {
                return p;
            }
        }
        return -1;
    }

    /** Every legal layout, the empty one included. */
    public List<LayoutShape> legalLayouts() {
        return legal;
    }

    /** Every full legal layout. */
    public List<LayoutShape> fullLayouts() {
        return full;
    }

    /** The code of the multiset with one more instance of profile {@code p}, or -1 when no layout holds it. */
    public int plus(int code, int p) {
        if (count(code, p) + 1 >= radix[p]) {
            return -1;
        }
        int next = code + weight[p];
        return feasible[next] ? next : -1;
    }

    public int minus(int code, int p) {
        return code - weight[p];
    }

    public int count(int code, int p) {
        return (code / weight[p]) % radix[p];
    }

    public boolean isFeasible(int code) {
        return code >= 0 && code < feasible.length && feasible[code];
    }

    public int codeSpace() {
        return feasible.length;
    }

    /** Memory slices the multiset uses. */
    public int slicesUsed(int code) {
        return slicesByCode[code];
    }

    /**
     * The most memory slices any full layout holding the multiset covers (what rule 7 gives a repartitioned GPU),
     * or -1 when no legal layout holds it.
     */
    public int bestCover(int code) {
        return coverByCode[code];
    }

    /** Whether every count of {@code small} is at most that of {@code big}. */
    public boolean contains(int big, int small) {
        for (int p = 0; p < profiles.size(); p++) {
            if (count(big, p) < count(small, p)) {
                return false;
            }
        }
        return true;
    }

    /** The shape of a layout given as instances; the layout must be legal. */
    public LayoutShape shapeOf(List<Instance> instances) {
        int[] profileIndex = new int[instances.size()];
        int[] starts = new int[instances.size()];
        for (int i = 0; i < instances.size(); i++) {
            profileIndex[i] = indexOf(instances.get(i).profile());
            starts[i] = instances.get(i).start();
        }
        return LayoutShape.of(this, profileIndex, starts);
    }

    /** Whether a legal instance of some profile could still be added to the layout. */
    public boolean isFull(LayoutShape shape) {
        for (int[] placement : placements) {
            if (canAdd(shape, placement[0], placement[1])) {
                return false;
            }
        }
        return true;
    }

    /** Whether profile {@code p} at {@code start} can be added to the layout and keep it legal. */
    public boolean canAdd(LayoutShape shape, int p, int start) {
        MigProfile profile = profiles.get(p);
        int mask = ((1 << profile.memorySlices()) - 1) << start;
        return profile.canStartAt(start)
                && (shape.mask() & mask) == 0
                && plus(shape.code(), p) >= 0
                && computeUsed(shape) + profile.computeSlices() <= model.computeSlices()
                && !(mediaExtensions[p] && hasMediaExtension(shape));
    }

    int computeUsed(LayoutShape shape) {
        int used = 0;
        for (int p : shape.profileIndex()) {
            used += profiles.get(p).computeSlices();
        }
        return used;
    }

    private boolean hasMediaExtension(LayoutShape shape) {
        for (int p : shape.profileIndex()) {
            if (mediaExtensions[p]) {
                return true;
            }
        }
        return false;
    }

    private List<int[]> placements() {
        List<int[]> placements = new ArrayList<>();
        for (int p = 0; p < profiles.size(); p++) {
            for (int start : profiles.get(p).starts()) {
                placements.add(new int[] {p, start});
            }
        }
        return placements;
    }

    private void enumerate(List<int[]> placements, int from, List<int[]> chosen) {
        LayoutShape shape = LayoutShape.of(
                this,
                chosen.stream().mapToInt(c -> c[0]).toArray(),
                chosen.stream().mapToInt(c -> c[1]).toArray());
        legal.add(shape);
        for (int i = from; i < placements.size(); i++) {
            int[] placement = placements.get(i);
            if (canAddUnchecked(shape, placement[0], placement[1])) {
                chosen.add(placement);
                enumerate(placements, i + 1, chosen);
                chosen.remove(chosen.size() - 1);
            }
        }
    }

    private boolean canAddUnchecked(LayoutShape shape, int p, int start) {
        MigProfile profile = profiles.get(p);
        int mask = ((1 << profile.memorySlices()) - 1) << start;
        return (shape.mask() & mask) == 0
                && count(shape.code(), p) < profile.maxCount()
                && computeUsed(shape) + profile.computeSlices() <= model.computeSlices()
                && !(mediaExtensions[p] && hasMediaExtension(shape));
    }

    /** The code of the multiset with {@code counts[p]} instances of each profile, or -1 beyond any maximum. */
    int codeOf(int[] counts) {
        int code = 0;
        for (int p = 0; p < counts.length; p++) {
            if (counts[p] >= radix[p]) {
                return -1;
            }
            code += counts[p] * weight[p];
        }
        return code;
    }

    int encode(int[] profileIndex) {
        int code = 0;
        for (int p : profileIndex) {
            code += weight[p];
        }
        return code;
    }
}
