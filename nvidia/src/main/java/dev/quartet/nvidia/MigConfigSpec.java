package dev.quartet.nvidia;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of a named mig-parted config (NVIDIA/mig-parted api/spec/v1/spec.go, {@code MigConfigSpec}): which GPUs it
 * selects and what it wants on them.
 *
 * @param deviceFilter PCI device ids it is limited to, as written (a single string is a list of one); empty: any GPU
 * @param devices the GPU indices it selects, or null for {@code all}
 * @param migEnabled the MIG mode it wants
 * @param migDevices instances per profile name, as written and in file order (empty with MIG off, or for {@code {}})
 */
public record MigConfigSpec(
        List<String> deviceFilter, List<Integer> devices, boolean migEnabled, Map<String, Integer> migDevices) {

    public MigConfigSpec {
        deviceFilter = deviceFilter == null ? List.of() : List.copyOf(deviceFilter);
        devices = devices == null ? null : List.copyOf(devices);
        migDevices = migDevices == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(migDevices));
    }

    /**
     * Whether the entry selects GPU {@code index} by its {@code devices} (api/spec/v1/helpers.go,
     * {@code MatchesDevices}).
     */
    public boolean selectsIndex(int index) {
        return devices == null || devices.contains(index);
    }

    /**
     * Whether the entry's {@code device-filter} admits a GPU of this PCI id (api/spec/v1/helpers.go,
     * {@code MatchesDeviceFilter}): no filter admits every GPU; a filter mig-parted cannot read admits none.
     */
    public boolean admits(PciDeviceId gpu) {
        return deviceFilter.isEmpty()
                || deviceFilter.stream()
                        .map(PciDeviceId::parse)
                        .flatMap(Optional::stream)
                        .anyMatch(filter -> filter.matches(gpu));
    }

    /** Whether the entry applies to GPU {@code index} whose PCI id is {@code gpu}. */
    public boolean selects(int index, PciDeviceId gpu) {
        return selectsIndex(index) && admits(gpu);
    }

    /**
     * Whether the entry applies to GPU {@code index} of {@code model} when only the model is known (a node's GFD
     * labels do not give the PCI id): its filter admits one of the ids sold as that model.
     */
    public boolean selects(int index, GpuModel model) {
        return selectsIndex(index)
                && (deviceFilter.isEmpty()
                        || model.pciDeviceIds().stream()
                                .map(PciDeviceId::parse)
                                .flatMap(Optional::stream)
                                .anyMatch(this::admits));
    }
}
