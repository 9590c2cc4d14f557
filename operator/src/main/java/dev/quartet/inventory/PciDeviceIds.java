package dev.quartet.inventory;

import dev.quartet.planner.GpuModel;
import java.util.List;
import java.util.Locale;

/** PCI device ids of each GPU model, as used by mig-parted's {@code device-filter}. */
public final class PciDeviceIds {

    private PciDeviceIds() {}

    /** Every PCI id (upper-case hex with vendor, e.g. 0x20B710DE) sold as this model. */
    public static List<String> of(GpuModel model) {
        return switch (model) {
            case A30 -> List.of("0x20B710DE");
            case A100_40GB -> List.of("0x20B010DE", "0x20B110DE", "0x20F110DE", "0x20F610DE");
            case A100_80GB -> List.of("0x20B210DE", "0x20B510DE", "0x20F310DE", "0x20F510DE");
            case H100_80GB -> List.of("0x233010DE", "0x233110DE", "0x232210DE", "0x232410DE");
        };
    }

    /** Whether a device-filter list selects GPUs of this model. */
    public static boolean matches(GpuModel model, List<String> filter) {
        if (filter == null || filter.isEmpty()) {
            return true;
        }
        List<String> ids = of(model);
        return filter.stream()
                .map(f -> f.toUpperCase(Locale.ROOT).replace("0X", "0x"))
                .anyMatch(ids::contains);
    }
}
