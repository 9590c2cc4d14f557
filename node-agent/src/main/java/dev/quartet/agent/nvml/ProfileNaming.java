package dev.quartet.agent.nvml;

import dev.quartet.nvidia.MigProfileName;
import java.util.List;

/**
 * A GPU-instance profile's name from NVML's numbers, the way NVIDIA's go-nvlib builds it ({@code
 * pkg/nvlib/device/mig_profile.go}, {@code NewMigProfile} and {@code getMigMemorySizeGB}), which is what the device
 * plugin advertises ({@code nvidia.com/mig-<name>}) and mig-parted accepts. Only full compute instances are named
 * (the {@code c} part equals {@code g}): the device plugin advertises no other.
 */
public final class ProfileNaming {

    // NVML_GPU_INSTANCE_PROFILE_* indices (nvml.h)
    static final int P1_SLICE = 0x0;
    static final int P2_SLICE = 0x1;
    static final int P3_SLICE = 0x2;
    static final int P4_SLICE = 0x3;
    static final int P7_SLICE = 0x4;
    static final int P8_SLICE = 0x5;
    static final int P6_SLICE = 0x6;
    static final int P1_SLICE_REV1 = 0x7;
    static final int P2_SLICE_REV1 = 0x8;
    static final int P1_SLICE_REV2 = 0x9;
    static final int P1_SLICE_GFX = 0xA;
    static final int P2_SLICE_GFX = 0xB;
    static final int P4_SLICE_GFX = 0xC;
    static final int P1_SLICE_NO_ME = 0xD;
    static final int P2_SLICE_NO_ME = 0xE;
    static final int P1_SLICE_ALL_ME = 0xF;
    static final int P2_SLICE_ALL_ME = 0x10;

    private ProfileNaming() {}

    /**
     * The name of the profile at NVML index {@code profileIndex}, or null for an index go-nvlib does not name (such
     * as {@code 3_SLICE_GFX}, new in the 13.3 header).
     */
    public static String name(int profileIndex, long memorySizeMB, long deviceMemoryBytes) {
        int slices = gpuSlices(profileIndex);
        if (slices == 0 || deviceMemoryBytes <= 0) {
            return null;
        }
        int gb = (int) memoryGb(deviceMemoryBytes, memorySizeMB);
        List<String> attributes = List.of();
        List<String> negative = List.of();
        switch (profileIndex) {
            case P1_SLICE_REV1, P2_SLICE_REV1 -> attributes = List.of(MigProfileName.MEDIA_EXTENSIONS);
            case P1_SLICE_ALL_ME, P2_SLICE_ALL_ME -> attributes = List.of(MigProfileName.MEDIA_EXTENSIONS_ALL);
            case P1_SLICE_GFX, P2_SLICE_GFX, P4_SLICE_GFX -> attributes = List.of(MigProfileName.GRAPHICS);
            case P1_SLICE_NO_ME, P2_SLICE_NO_ME -> negative = List.of(MigProfileName.MEDIA_EXTENSIONS);
            default -> {}
        }
        return new MigProfileName(slices, slices, gb, attributes, negative).toString();
    }

    static int gpuSlices(int profileIndex) {
        return switch (profileIndex) {
            case P1_SLICE, P1_SLICE_REV1, P1_SLICE_REV2, P1_SLICE_GFX, P1_SLICE_NO_ME, P1_SLICE_ALL_ME -> 1;
            case P2_SLICE, P2_SLICE_REV1, P2_SLICE_GFX, P2_SLICE_NO_ME, P2_SLICE_ALL_ME -> 2;
            case P3_SLICE -> 3;
            case P4_SLICE, P4_SLICE_GFX -> 4;
            case P6_SLICE -> 6;
            case P7_SLICE -> 7;
            case P8_SLICE -> 8;
            default -> 0;
        };
    }

    /** go-nvlib's getMigMemorySizeGB: the fraction of the GPU, rounded up to eighths, times the GPU's GB rounded up. */
    static long memoryGb(long deviceMemoryBytes, long memorySizeMB) {
        final double fracDenominator = 8;
        final long oneMB = 1024L * 1024L;
        final long oneGB = 1024L * 1024L * 1024L;
        double fraction = ((double) memorySizeMB * oneMB) / (double) deviceMemoryBytes;
        fraction = Math.ceil(fraction * fracDenominator) / fracDenominator;
        double totalGb = (double) ((deviceMemoryBytes + oneGB - 1) / oneGB);
        return Math.round(fraction * totalGb);
    }
}
