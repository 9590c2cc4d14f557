package dev.quartet.nvidia;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The MIG-capable GPU models Quartet plans for. The set is closed (the planner indexes its tables by model); what
 * NVIDIA says about each one is data, read once from {@code gpu-models.yaml} into a {@link GpuSpec}.
 */
public enum GpuModel {
    A30("A30"),
    A100_40GB("A100-40GB"),
    A100_80GB("A100-80GB"),
    H100_80GB("H100-80GB");

    private final String displayName;

    GpuModel(String displayName) {
        this.displayName = displayName;
    }

    /** What {@code gpu-models.yaml} says, per model; each model has exactly one row there, and every row a model. */
    private static final class Specs {
        private record File(List<GpuSpec> models) {}

        /** By {@link #ordinal()}: the planner asks for these facts in its loops. */
        static final GpuSpec[] BY_ORDINAL = load();

        private static GpuSpec[] load() {
            File file;
            try (InputStream in = GpuModel.class.getResourceAsStream("gpu-models.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("gpu-models.yaml is missing beside " + GpuModel.class.getName());
                }
                file = YAMLMapper.builder()
                        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                        .build()
                        .readValue(in, File.class);
            } catch (IOException e) {
                throw new UncheckedIOException("gpu-models.yaml cannot be read", e);
            }
            Map<GpuModel, GpuSpec> specs = new LinkedHashMap<>();
            for (GpuSpec spec : file.models()) {
                GpuModel model = Arrays.stream(values())
                        .filter(m -> m.displayName.equals(spec.name()))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException(
                                "gpu-models.yaml describes " + spec.name() + ", which is no GpuModel"));
                if (specs.put(model, spec) != null) {
                    throw new IllegalStateException("gpu-models.yaml describes " + spec.name() + " twice");
                }
            }
            for (GpuModel model : values()) {
                if (!specs.containsKey(model)) {
                    throw new IllegalStateException("gpu-models.yaml does not describe " + model.displayName);
                }
            }
            return Arrays.stream(values()).map(specs::get).toArray(GpuSpec[]::new);
        }
    }

    /** Everything NVIDIA says about this model. */
    public GpuSpec spec() {
        return Specs.BY_ORDINAL[ordinal()];
    }

    /** The short name users write, e.g. {@code A100-40GB}. */
    public String displayName() {
        return displayName;
    }

    /** The {@code nvidia.com/gpu.product} value GFD gives the model's main variant. */
    public String product() {
        return spec().products().get(0);
    }

    /** The PCI device id of the model's main variant, as mig-parted's {@code device-filter} writes it. */
    public String pciDeviceId() {
        return spec().pciDeviceIds().get(0);
    }

    /** Every PCI device id sold as this model. */
    public List<String> pciDeviceIds() {
        return spec().pciDeviceIds();
    }

    public int memoryMiB() {
        return spec().memoryMiB();
    }

    public MigProfileTable migTable() {
        return spec().mig();
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
                        "unknown profile '" + name + "' for " + displayName + " (legal: " + profileNames() + ")"));
    }

    /** The model's profile names, comma-separated, smallest first. */
    public String profileNames() {
        return migTable().names();
    }

    /** Whether any model has a profile of exactly this name. */
    public static boolean anyHasProfile(String name) {
        return Arrays.stream(values()).anyMatch(m -> m.profile(name).isPresent());
    }

    @Override
    public String toString() {
        return displayName;
    }

    /** Parses a display name ({@code A100-40GB}) or enum name ({@code A100_40GB}); the message names the legal ones. */
    public static GpuModel parse(String name) {
        if (name != null) {
            for (GpuModel model : values()) {
                if (model.displayName.equalsIgnoreCase(name.trim())
                        || model.name().equalsIgnoreCase(name.trim())) {
                    return model;
                }
            }
        }
        throw new IllegalArgumentException("unknown GPU model '" + name + "' (legal: " + legalNames() + ")");
    }

    /** The model a GFD {@code nvidia.com/gpu.product} label value names, if Quartet knows it (any case). */
    public static Optional<GpuModel> fromProductLabel(String product) {
        if (product == null) {
            return Optional.empty();
        }
        String wanted = product.toUpperCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(m -> m.spec().products().stream()
                        .anyMatch(p -> p.toUpperCase(Locale.ROOT).equals(wanted)))
                .findFirst();
    }

    /** The model a GPU of this PCI device id is, if Quartet knows it. */
    public static Optional<GpuModel> fromPciDeviceId(PciDeviceId id) {
        return Arrays.stream(values())
                .filter(m -> m.pciDeviceIds().stream()
                        .map(PciDeviceId::parse)
                        .flatMap(Optional::stream)
                        .anyMatch(own -> own.matches(id)))
                .findFirst();
    }

    public static String legalNames() {
        return Arrays.stream(values()).map(GpuModel::displayName).collect(Collectors.joining(", "));
    }
}
