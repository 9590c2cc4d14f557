package dev.quartet.sim;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The MIG-capable NVIDIA GPU models the simulator offers, with NVIDIA's own profile tables (MIG user guide, nvidia-smi mig -lgip). */
public enum GpuModel {
    A30(
            "A30",
            "NVIDIA-A30",
            "0x20B710DE",
            24576,
            "ampere",
            8,
            0,
            4,
            4,
            List.of(
                    new MigProfile("1g.6gb", 14, 1, 1, 14, 4, List.of(0, 1, 2, 3), false, 6 * 1024),
                    new MigProfile("1g.6gb+me", 21, 1, 1, 14, 1, List.of(0, 1, 2, 3), true, 6 * 1024),
                    new MigProfile("2g.12gb", 5, 2, 2, 28, 2, List.of(0, 2), false, 12 * 1024),
                    new MigProfile("2g.12gb+me", 6, 2, 2, 28, 1, List.of(0, 2), true, 12 * 1024),
                    new MigProfile("4g.24gb", 0, 4, 4, 56, 1, List.of(0), false, 24 * 1024))),
    A100_40GB(
            "A100-40GB",
            "NVIDIA-A100-SXM4-40GB",
            "0x20B010DE",
            40960,
            "ampere",
            8,
            0,
            7,
            8,
            sevenSliceProfiles(
                    new String[] {"1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"},
                    new int[] {14, 14, 28, 42, 56, 98})),
    A100_80GB(
            "A100-80GB",
            "NVIDIA-A100-SXM4-80GB",
            "0x20B210DE",
            81920,
            "ampere",
            8,
            0,
            7,
            8,
            sevenSliceProfiles(
                    new String[] {"1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"},
                    new int[] {14, 14, 28, 42, 56, 98})),
    H100_80GB(
            "H100-80GB",
            "NVIDIA-H100-80GB-HBM3",
            "0x233010DE",
            81559,
            "hopper",
            9,
            0,
            7,
            8,
            sevenSliceProfiles(
                    new String[] {"1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"},
                    new int[] {16, 16, 32, 60, 64, 132}));

    private final String cliName;
    private final String product;
    private final String pciDeviceId;
    private final int memoryMiB;
    private final String family;
    private final int computeMajor;
    private final int computeMinor;
    private final int computeSlices;
    private final int memorySlices;
    private final List<MigProfile> profiles;

    GpuModel(
            String cliName,
            String product,
            String pciDeviceId,
            int memoryMiB,
            String family,
            int computeMajor,
            int computeMinor,
            int computeSlices,
            int memorySlices,
            List<MigProfile> profiles) {
        this.cliName = cliName;
        this.product = product;
        this.pciDeviceId = pciDeviceId;
        this.memoryMiB = memoryMiB;
        this.family = family;
        this.computeMajor = computeMajor;
        this.computeMinor = computeMinor;
        this.computeSlices = computeSlices;
        this.memorySlices = memorySlices;
        this.profiles = profiles;
    }

    /** The 7-compute/8-memory-slice table shared by A100 and H100; only names and SM counts differ. */
    private static List<MigProfile> sevenSliceProfiles(String[] names, int[] sms) {
        int[] gi = {19, 15, 14, 9, 5, 0};
        int[] compute = {1, 1, 2, 3, 4, 7};
        int[] size = {1, 2, 2, 4, 4, 8};
        int[] max = {7, 4, 3, 2, 1, 1};
        List<List<Integer>> starts = List.of(
                List.of(0, 1, 2, 3, 4, 5, 6),
                List.of(0, 2, 4, 6),
                List.of(0, 2, 4),
                List.of(0, 4),
                List.of(0),
                List.of(0));
        MigProfile[] result = new MigProfile[names.length];
        for (int i = 0; i < names.length; i++) {
            int gb = Integer.parseInt(names[i].substring(names[i].indexOf('.') + 1, names[i].length() - 2));
            result[i] = new MigProfile(
                    names[i], gi[i], compute[i], size[i], sms[i], max[i], starts.get(i), false, gb * 1024);
        }
        return List.of(result);
    }

    /** Parses a command-line name such as {@code A30} or {@code A100-80GB} (case-insensitive). */
    public static GpuModel fromCliName(String name) {
        return Arrays.stream(values())
                .filter(m -> m.cliName.equalsIgnoreCase(name.trim()))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown GPU model '" + name + "'; expected one of "
                        + Arrays.stream(values()).map(GpuModel::cliName).toList()));
    }

    /** Looks up a profile by its mig-parted name, accepting the {@code <c>c.} prefix when it equals the GI size. */
    public Optional<MigProfile> profile(String name) {
        String normalized = name.trim().toLowerCase(Locale.ROOT);
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("^(\\d+)c\\.((\\d+)g\\..*)$").matcher(normalized);
        if (m.matches() && m.group(1).equals(m.group(3))) {
            normalized = m.group(2);
        }
        String wanted = normalized;
        return profiles.stream().filter(p -> p.name().equals(wanted)).findFirst();
    }

    public String cliName() {
        return cliName;
    }

    /** GFD's {@code nvidia.com/gpu.product} value. */
    public String product() {
        return product;
    }

    /** PCI device id as mig-parted's {@code device-filter} spells it. */
    public String pciDeviceId() {
        return pciDeviceId;
    }

    public int memoryMiB() {
        return memoryMiB;
    }

    public String family() {
        return family;
    }

    public int computeMajor() {
        return computeMajor;
    }

    public int computeMinor() {
        return computeMinor;
    }

    public int computeSlices() {
        return computeSlices;
    }

    public int memorySlices() {
        return memorySlices;
    }

    public List<MigProfile> profiles() {
        return profiles;
    }
}
