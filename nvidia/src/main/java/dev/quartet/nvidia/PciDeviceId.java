package dev.quartet.nvidia;

import java.util.Locale;
import java.util.Optional;

/**
 * A GPU's PCI device and vendor id, optionally with its subsystem's, as mig-parted's {@code device-filter} names it:
 * {@code 0x20B710DE} (device 0x20B7, vendor 0x10DE) or {@code 0x20B710DE:0x1532...}. Read and matched as NVIDIA/mig-parted
 * pkg/types/device.go does ({@code NewDeviceIDFromString}, {@code Matches}): numbers in Go's notation (hex with
 * {@code 0x}, any case), and a filter with a subsystem matches only a GPU with that subsystem.
 */
public record PciDeviceId(int device, int vendor, boolean hasSubsystem, int subsystemDevice, int subsystemVendor) {

    /** The id this string names, or empty where mig-parted could not read it (such a filter matches no GPU). */
    public static Optional<PciDeviceId> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String[] parts = text.split(":", -1);
        if (parts.length > 2) {
            return Optional.empty();
        }
        Optional<Long> primary = number(parts[0]);
        if (primary.isEmpty()) {
            return Optional.empty();
        }
        int device = (int) (primary.get() >>> 16);
        int vendor = (int) (primary.get() & 0xFFFF);
        if (parts.length == 1) {
            return Optional.of(new PciDeviceId(device, vendor, false, 0, 0));
        }
        return number(parts[1])
                .map(sub -> new PciDeviceId(device, vendor, true, (int) (sub >>> 16), (int) (sub & 0xFFFF)));
    }

    /** Go's {@code strconv.ParseUint(s, 0, 32)}: 0x/0o/0b prefixes, a leading 0 for octal, underscores between digits. */
    private static Optional<Long> number(String s) {
        String digits = s;
        int radix = 10;
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("0x")) {
            radix = 16;
            digits = s.substring(2);
        } else if (lower.startsWith("0b")) {
            radix = 2;
            digits = s.substring(2);
        } else if (lower.startsWith("0o")) {
            radix = 8;
            digits = s.substring(2);
        } else if (s.length() > 1 && s.startsWith("0")) {
            radix = 8;
            digits = s.substring(1);
        }
        if (digits.startsWith("_") && digits.length() < s.length()) {
            digits = digits.substring(1); // an underscore may follow a base prefix
        }
        if (digits.isEmpty() || digits.startsWith("_") || digits.endsWith("_") || digits.contains("__")) {
            return Optional.empty();
        }
        try {
            long value = Long.parseLong(digits.replace("_", ""), radix);
            return value >= 0 && value <= 0xFFFFFFFFL ? Optional.of(value) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether this id, as a filter, selects a GPU whose id is {@code hardware}. */
    public boolean matches(PciDeviceId hardware) {
        if (device != hardware.device || vendor != hardware.vendor) {
            return false;
        }
        return !hasSubsystem
                || (hardware.hasSubsystem
                        && subsystemDevice == hardware.subsystemDevice
                        && subsystemVendor == hardware.subsystemVendor);
    }

    /** As mig-parted writes it: {@code 0x20B710DE}, with {@code :0x...} for a subsystem. */
    @Override
    public String toString() {
        String primary = String.format("0x%04X%04X", device, vendor);
        return hasSubsystem ? primary + String.format(":0x%04X%04X", subsystemDevice, subsystemVendor) : primary;
    }
}
