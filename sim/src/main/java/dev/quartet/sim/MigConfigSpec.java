package dev.quartet.sim;

import java.util.List;
import java.util.Map;

/**
 * One entry of a named mig-parted config: which GPUs it selects and what it wants on them.
 *
 * @param deviceFilter PCI device ids it is limited to (empty: any GPU)
 * @param devices      GPU indices it selects, or null for {@code all}
 * @param migEnabled   MIG mode wanted
 * @param migDevices   instance counts per profile name (empty when MIG is disabled or for {@code {}})
 */
public record MigConfigSpec(
        List<String> deviceFilter, List<Integer> devices, boolean migEnabled, Map<String, Integer> migDevices) {

    public MigConfigSpec {
        deviceFilter = List.copyOf(deviceFilter);
        devices = devices == null ? null : List.copyOf(devices);
        migDevices = Map.copyOf(migDevices);
    }

    /** Whether this entry applies to GPU {@code index} whose PCI device id is {@code pciDeviceId}. */
    public boolean matches(int index, String pciDeviceId) {
        boolean filterOk =
                deviceFilter.isEmpty() || deviceFilter.stream().anyMatch(f -> f.equalsIgnoreCase(pciDeviceId));
        return filterOk && (devices == null || devices.contains(index));
    }
}
