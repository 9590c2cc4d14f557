package dev.quartet.planner;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The MIG-capable GPU models Quartet plans for, with their display names and GFD product labels. */
public enum GpuModel {
    A30("A30", 4, 4),
    A100_40GB("A100-40GB", 8, 7),
    A100_80GB("A100-80GB", 8, 7),
    H100_80GB("H100-80GB", 8, 7);

    private final String displayName;
    private final int memorySlots;
    private final int computeSlots;

    GpuModel(String displayName, int memorySlots, int computeSlots) {
        this.displayName = displayName;
        this.memorySlots = memorySlots;
        this.computeSlots = computeSlots;
    }

    public String displayName() {
        return displayName;
    }

    public int memorySlots() {
        return memorySlots;
    }

    public int computeSlots() {
        return computeSlots;
    }

    @Override
    public String toString() {
        return displayName;
    }

    /** Parses a display name ("A100-40GB") or enum name ("A100_40GB"); the message names the legal ones. */
    public static GpuModel parse(String name) {
        if (name != null) {
            for (GpuModel model : values()) {
                if (model.displayName.equalsIgnoreCase(name) || model.name().equalsIgnoreCase(name)) {
                    return model;
                }
            }
        }
        throw new IllegalArgumentException("unknown GPU model '" + name + "' (legal: " + legalNames() + ")");
    }

    /** Maps a GFD {@code nvidia.com/gpu.product} label value to a model, if it is one Quartet knows. */
    public static Optional<GpuModel> fromProductLabel(String product) {
        if (product == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(
                switch (product.toUpperCase(Locale.ROOT)) {
                    case "NVIDIA-A30" -> A30;
                    case "NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB" -> A100_40GB;
                    case "NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIE" -> A100_80GB;
                    case "NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIE" -> H100_80GB;
                    default -> null;
                });
    }

    public static String legalNames() {
        return Arrays.stream(values()).map(GpuModel::displayName).collect(Collectors.joining(", "));
    }
}
