package dev.quartet.nvidia;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A MIG-capable GPU model Quartet plans for. The built-in models are the constants, one per row of
 * {@code gpu-models.yaml}; a model known only at run time (a node agent reports its profile table, e.g. an H200) is
 * registered with {@link #ofReported} or {@link #register}. The registry is append-only: a model's {@link #ordinal()}
 * is assigned when it is registered and never changes, so the planner can index its tables by it.
 *
 * <p>The lookups the operator uses to recognise a node by its labels ({@link #parse}, {@link #fromProductLabel},
 * {@link #fromPciDeviceId}, {@link #anyHasProfile}, {@link #legalNames}) answer with built-in models only: a model
 * registered at run time (by the simulator in the same JVM, say) never makes a GPU "known" without its node's report.
 */
public final class GpuModel implements Comparable<GpuModel> {

    /**
     * The most models the registry holds, built-in ones included: the planner keeps each node's set of models in one
     * {@code long}. A registration beyond it is refused.
     */
    public static final int MAX_MODELS = 64;

    private static final List<GpuSpec> BUILT_IN_SPECS = BuiltInSpecs.load();

    private static final Object LOCK = new Object();

    /** Every model by ordinal; replaced (never changed) on registration. */
    private static volatile GpuModel[] all = new GpuModel[0];

    /** Registered models by what they were registered from: a product with its table and memory, or a spec. */
    private static final Map<Object, GpuModel> REGISTERED = new HashMap<>();

    public static final GpuModel A30 = builtIn("A30");
    public static final GpuModel A100_40GB = builtIn("A100-40GB");
    public static final GpuModel A100_80GB = builtIn("A100-80GB");
    public static final GpuModel H100_80GB = builtIn("H100-80GB");

    /** The built-in models, in ordinal order. */
    private static final List<GpuModel> BUILT_IN = List.of(A30, A100_40GB, A100_80GB, H100_80GB);

    static {
        for (GpuSpec spec : BUILT_IN_SPECS) {
            if (BUILT_IN.stream().noneMatch(m -> m.spec == spec)) {
                throw new IllegalStateException("gpu-models.yaml describes " + spec.name() + ", which is no GpuModel");
            }
        }
    }

    private final int ordinal;
    private final String name;
    private final GpuSpec spec;
    private final boolean builtIn;

    private GpuModel(int ordinal, GpuSpec spec, boolean builtIn) {
        this.ordinal = ordinal;
        this.name = spec.name().replace('-', '_');
        this.spec = spec;
        this.builtIn = builtIn;
    }

    /** Reads {@code gpu-models.yaml}, once. */
    private static final class BuiltInSpecs {
        static List<GpuSpec> load() {
            List<GpuSpec> models = GpuSpec.readAll(GpuModel.class, "gpu-models.yaml");
            for (GpuSpec spec : models) {
                if (spec.pciDeviceIds().isEmpty()) {
                    throw new IllegalStateException("gpu-models.yaml gives " + spec.name() + " no PCI device id");
                }
                if (models.stream().filter(s -> s.name().equals(spec.name())).count() > 1) {
                    throw new IllegalStateException("gpu-models.yaml describes " + spec.name() + " twice");
                }
            }
            return models;
        }
    }

    private static GpuModel builtIn(String displayName) {
        GpuSpec spec = BUILT_IN_SPECS.stream()
                .filter(s -> s.name().equals(displayName))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("gpu-models.yaml does not describe " + displayName));
        synchronized (LOCK) {
            GpuModel model = new GpuModel(all.length, spec, true);
            append(model);
            return model;
        }
    }

    /** Adds a model under {@link #LOCK}: a new array, published whole. */
    private static void append(GpuModel model) {
        GpuModel[] next = Arrays.copyOf(all, all.length + 1);
        next[model.ordinal] = model;
        all = next;
    }

    /**
     * The model of a GPU product missing from {@code gpu-models.yaml}, described by the MIG profile table its node's
     * agent reports: the same instance for the same product, table and memory (interned), a new one with the next
     * ordinal otherwise. Its name is {@link #shortName} of the product (with {@code #2}, {@code #3}, ... when another
     * model already has that name, e.g. the same product with another table). It has no PCI device id and no family
     * (the agent reports neither).
     *
     * @param product NVML's product name, as the node agent reports it (e.g. {@code NVIDIA H200}); GFD's
     *     {@code nvidia.com/gpu.product} writes it with dashes for spaces
     * @throws IllegalStateException when the registry holds {@link #MAX_MODELS} models already
     */
    public static GpuModel ofReported(String product, MigProfileTable table, int memoryMiB) {
        if (product == null || product.isBlank() || table == null || memoryMiB < 1) {
            throw new IllegalArgumentException("a reported GPU model has a product, a MIG table and its memory");
        }
        Object key = List.of("reported", product, table, memoryMiB);
        synchronized (LOCK) {
            GpuModel known = REGISTERED.get(key);
            if (known != null) {
                return known;
            }
            GpuSpec spec = new GpuSpec(
                    freeName(shortName(product)),
                    List.of(product.trim().replace(' ', '-')),
                    List.of(),
                    memoryMiB,
                    "",
                    0,
                    0,
                    table);
            return add(key, spec);
        }
    }

    /**
     * The model a whole {@link GpuSpec} describes (a simulator's GPU unknown to {@code gpu-models.yaml}): interned by
     * the spec; refused when its name is a built-in model's or another spec's.
     *
     * @throws IllegalStateException when the registry holds {@link #MAX_MODELS} models already
     */
    public static GpuModel register(GpuSpec spec) {
        Object key = List.of("spec", spec);
        synchronized (LOCK) {
            GpuModel known = REGISTERED.get(key);
            if (known != null) {
                return known;
            }
            if (taken(spec.name())) {
                throw new IllegalArgumentException("a GPU model named " + spec.name() + " is registered already");
            }
            return add(key, spec);
        }
    }

    private static GpuModel add(Object key, GpuSpec spec) {
        if (all.length >= MAX_MODELS) {
            throw new IllegalStateException(
                    "Quartet plans at most " + MAX_MODELS + " GPU models; " + spec.name() + " is not registered");
        }
        GpuModel model = new GpuModel(all.length, spec, false);
        append(model);
        REGISTERED.put(key, model);
        return model;
    }

    /** {@code base}, or {@code base#2}, {@code base#3}, ... if a model has that name already. Under LOCK. */
    private static String freeName(String base) {
        String name = base;
        for (int n = 2; taken(name); n++) {
            name = base + "#" + n;
        }
        return name;
    }

    private static boolean taken(String name) {
        return Arrays.stream(all).anyMatch(m -> m.displayName().equalsIgnoreCase(name));
    }

    /**
     * The short name of a reported product: without a leading {@code NVIDIA}, runs of anything but letters, digits
     * and dots as one dash: {@code NVIDIA H200} is {@code H200}, {@code NVIDIA H200 NVL} is {@code H200-NVL}.
     */
    public static String shortName(String product) {
        String s = product.trim().replaceFirst("(?i)^NVIDIA[\\s-]*", "");
        s = s.replaceAll("[^A-Za-z0-9.]+", "-").replaceAll("^-|-$", "");
        return s.isEmpty() ? "GPU" : s;
    }

    /** Every model, built-in and registered, by ordinal: a snapshot (a registration later does not change it). */
    public static GpuModel[] values() {
        return all.clone();
    }

    /** The built-in models (those of {@code gpu-models.yaml}), by ordinal. */
    public static List<GpuModel> builtIns() {
        return BUILT_IN;
    }

    /** The position of this model in {@link #values()}, assigned on registration and never changed. */
    public int ordinal() {
        return ordinal;
    }

    /** The constant's name for a built-in model ({@code A100_40GB}); the display name with underscores otherwise. */
    @JsonValue
    public String name() {
        return name;
    }

    /** Whether this model is one of {@code gpu-models.yaml}'s, not one registered at run time. */
    public boolean isBuiltIn() {
        return builtIn;
    }

    /** Everything NVIDIA (or, for a reported model, its node agent) says about this model. */
    public GpuSpec spec() {
        return spec;
    }

    /** The short name users write, e.g. {@code A100-40GB}. */
    public String displayName() {
        return spec.name();
    }

    /** The {@code nvidia.com/gpu.product} value GFD gives the model's main variant. */
    public String product() {
        return spec.products().get(0);
    }

    /**
     * The PCI device id of the model's main variant, as mig-parted's {@code device-filter} writes it.
     *
     * @throws IllegalStateException for a reported model, which has none
     */
    public String pciDeviceId() {
        if (spec.pciDeviceIds().isEmpty()) {
            throw new IllegalStateException(displayName() + " was reported without a PCI device id");
        }
        return spec.pciDeviceIds().get(0);
    }

    /** Every PCI device id sold as this model (none for a model a node agent reported). */
    public List<String> pciDeviceIds() {
        return spec.pciDeviceIds();
    }

    public int memoryMiB() {
        return spec.memoryMiB();
    }

    public MigProfileTable migTable() {
        return spec.mig();
    }

    public int memorySlices() {
        return migTable().memorySlices();
    }

    public int computeSlices() {
        return migTable().computeSlices();
    }

    /** The model's GPU-instance profiles, smallest first. */
    public List<MigProfile> profiles() {
        return migTable().profiles();
    }

    /** The model's profile of exactly this name. */
    public Optional<MigProfile> profile(String name) {
        return migTable().profile(name);
    }

    /** The named profile; an unknown name is refused with a message naming the model's profiles. */
    public MigProfile requireProfile(String name) {
        return profile(name)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown profile '" + name + "' for " + displayName() + " (legal: " + profileNames() + ")"));
    }

    /** The model's profile names, comma-separated, smallest first. */
    public String profileNames() {
        return migTable().names();
    }

    /** Whether any built-in model has a profile of exactly this name. */
    public static boolean anyHasProfile(String name) {
        return BUILT_IN.stream().anyMatch(m -> m.profile(name).isPresent());
    }

    @Override
    public int compareTo(GpuModel other) {
        return Integer.compare(ordinal, other.ordinal);
    }

    @Override
    public String toString() {
        return displayName();
    }

    /**
     * Parses a built-in model's display name ({@code A100-40GB}) or constant name ({@code A100_40GB}); the message
     * names the legal ones.
     */
    @JsonCreator
    public static GpuModel parse(String name) {
        if (name != null) {
            for (GpuModel model : BUILT_IN) {
                if (model.displayName().equalsIgnoreCase(name.trim())
                        || model.name().equalsIgnoreCase(name.trim())) {
                    return model;
                }
            }
        }
        throw new IllegalArgumentException("unknown GPU model '" + name + "' (legal: " + legalNames() + ")");
    }

    /** The built-in model a GFD {@code nvidia.com/gpu.product} label value names, if there is one (any case). */
    public static Optional<GpuModel> fromProductLabel(String product) {
        if (product == null) {
            return Optional.empty();
        }
        String wanted = product.toUpperCase(Locale.ROOT);
        return BUILT_IN.stream()
                .filter(m -> m.spec().products().stream()
                        .anyMatch(p -> p.toUpperCase(Locale.ROOT).equals(wanted)))
                .findFirst();
    }

    /** The built-in model a GPU of this PCI device id is, if there is one. */
    public static Optional<GpuModel> fromPciDeviceId(PciDeviceId id) {
        return BUILT_IN.stream()
                .filter(m -> m.pciDeviceIds().stream()
                        .map(PciDeviceId::parse)
                        .flatMap(Optional::stream)
                        .anyMatch(own -> own.matches(id)))
                .findFirst();
    }

    /** The built-in models' display names, comma-separated. */
    public static String legalNames() {
        return BUILT_IN.stream().map(GpuModel::displayName).collect(Collectors.joining(", "));
    }
}
