package dev.quartet.sim;

import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.MigProfileName;
import dev.quartet.nvidia.MigProfileTable;

/**
 * NVML's GPU-instance profile index ({@code NVML_GPU_INSTANCE_PROFILE_*} of nvml.h) of a profile, which the fake NVML
 * reports and from which go-nvlib (and the node agent) derive the profile's name: the slice count, with {@code REV1}
 * for {@code +me}, {@code REV2} for the 1-slice profile with two memory slices (A100's {@code 1g.10gb}), {@code ALL_ME}
 * for {@code +me.all}, {@code GFX} for {@code +gfx} and {@code NO_ME} for {@code -me}.
 */
final class NvmlProfileIndex {

    private NvmlProfileIndex() {}

    static int of(MigProfile profile, MigProfileTable table) {
        MigProfileName name = profile.parsedName();
        int g = name.gpuSlices();
        if (name.attributes().contains(MigProfileName.MEDIA_EXTENSIONS)) {
            return require(g == 1 ? 0x7 : g == 2 ? 0x8 : -1, profile);
        }
        if (name.attributes().contains(MigProfileName.MEDIA_EXTENSIONS_ALL)) {
            return require(g == 1 ? 0xF : g == 2 ? 0x10 : -1, profile);
        }
        if (name.attributes().contains(MigProfileName.GRAPHICS)) {
            return require(g == 1 ? 0xA : g == 2 ? 0xB : g == 4 ? 0xC : -1, profile);
        }
        if (name.negativeAttributes().contains(MigProfileName.MEDIA_EXTENSIONS)) {
            return require(g == 1 ? 0xD : g == 2 ? 0xE : -1, profile);
        }
        if (g == 1 && profile.memorySlices() > smallestOneSlice(table)) {
            return 0x9;
        }
        return require(
                switch (g) {
                    case 1 -> 0x0;
                    case 2 -> 0x1;
                    case 3 -> 0x2;
                    case 4 -> 0x3;
                    case 7 -> 0x4;
                    case 8 -> 0x5;
                    case 6 -> 0x6;
                    default -> -1;
                },
                profile);
    }

    private static int smallestOneSlice(MigProfileTable table) {
        return table.profiles().stream()
                .filter(p -> p.computeSlices() == 1)
                .mapToInt(MigProfile::memorySlices)
                .min()
                .orElse(1);
    }

    private static int require(int index, MigProfile profile) {
        if (index < 0) {
            throw new IllegalArgumentException("NVML has no GPU-instance profile index for " + profile.name());
        }
        return index;
    }
}
