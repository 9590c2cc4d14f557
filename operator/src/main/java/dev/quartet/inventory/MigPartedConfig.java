package dev.quartet.inventory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quartet.planner.GpuModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A parsed mig-parted config file (version v1): named configs, each a list of device groups. */
public record MigPartedConfig(Map<String, List<DeviceGroup>> configs) {

    private static final YAMLMapper YAML = new YAMLMapper();

    /** One entry of a named config: which GPUs, whether MIG is on, and how many instances of each profile. */
    public record DeviceGroup(
            List<Integer> devices, List<String> deviceFilter, boolean migEnabled, Map<String, Integer> migDevices) {

        /** Whether this group applies to GPU {@code index} of model {@code model}; null devices means all. */
        public boolean selects(int index, GpuModel model) {
            return (devices == null || devices.contains(index)) && PciDeviceIds.matches(model, deviceFilter);
        }
    }

    /** Parses a mig-parted file; throws IllegalArgumentException naming the offending entry. */
    public static MigPartedConfig parse(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text == null ? "" : text);
        } catch (IOException e) {
            throw new IllegalArgumentException("mig-parted config is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("mig-parted config must be a mapping with version and mig-configs");
        }
        String version = root.path("version").asText("");
        if (!"v1".equals(version)) {
            throw new IllegalArgumentException("mig-parted config version must be v1, got '" + version + "'");
        }
        Map<String, List<DeviceGroup>> configs = new LinkedHashMap<>();
        JsonNode all = root.path("mig-configs");
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<DeviceGroup> groups = new ArrayList<>();
            int i = 0;
            for (JsonNode g : e.getValue()) {
                groups.add(parseGroup(g, "mig-configs." + e.getKey() + "[" + i++ + "]"));
            }
            configs.put(e.getKey(), List.copyOf(groups));
        }
        return new MigPartedConfig(configs);
    }

    private static DeviceGroup parseGroup(JsonNode g, String where) {
        JsonNode devices = g.path("devices");
        List<Integer> indices = null;
        if (devices.isArray()) {
            indices = new ArrayList<>();
            for (JsonNode d : devices) {
                if (!d.isInt()) {
                    throw new IllegalArgumentException(
                            where + ".devices must be 'all' or a list of GPU indices, got " + devices);
                }
                indices.add(d.asInt());
            }
        } else if (!"all".equals(devices.asText())) {
            throw new IllegalArgumentException(where + ".devices must be 'all' or a list of GPU indices");
        }
        List<String> filter = new ArrayList<>();
        JsonNode f = g.path("device-filter");
        if (f.isArray()) {
            f.forEach(x -> filter.add(x.asText()));
        } else if (f.isTextual()) {
            filter.add(f.asText());
        }
        boolean enabled = g.path("mig-enabled").asBoolean(false);
        Map<String, Integer> migDevices = new LinkedHashMap<>();
        JsonNode md = g.path("mig-devices");
        // As NVIDIA/mig-parted api/spec/v1/spec.go (MigConfigSpec.UnmarshalJSON): mig-devices must be there (it may be
        // {}: MIG on, no instances) when MIG is on, and may be there, but empty, when MIG is off.
        if (enabled && (md.isMissingNode() || md.isNull())) {
            throw new IllegalArgumentException(where + ".mig-devices is required when mig-enabled is true");
        }
        if (!enabled && !md.isMissingNode() && !md.isNull() && !md.isEmpty()) {
            throw new IllegalArgumentException(where + ".mig-devices must be empty when mig-enabled is false");
        }
        md.fields().forEachRemaining(e -> {
            if (!e.getValue().isInt()) {
                throw new IllegalArgumentException(
                        where + ".mig-devices." + e.getKey() + " must be a number of instances, got " + e.getValue());
            }
            migDevices.put(e.getKey(), e.getValue().asInt());
        });
        return new DeviceGroup(
                indices == null ? null : List.copyOf(indices), List.copyOf(filter), enabled, Map.copyOf(migDevices));
    }

    /**
     * The group config {@code name} applies to GPU {@code index} of {@code model}, if any: the last one that selects
     * it. mig-parted walks every group of the selected config in order and applies each one that selects a GPU
     * (NVIDIA/mig-parted cmd/nvidia-mig-parted/assert/assert.go, WalkSelectedMigConfigForEachGPU, called by
     * cmd/nvidia-mig-parted/apply/config.go), so what a GPU ends up with is the last match.
     */
    public Optional<DeviceGroup> groupFor(String name, int index, GpuModel model) {
        List<DeviceGroup> groups = configs.get(name);
        if (groups == null) {
            return Optional.empty();
        }
        return groups.stream().filter(g -> g.selects(index, model)).reduce((earlier, later) -> later);
    }
}
