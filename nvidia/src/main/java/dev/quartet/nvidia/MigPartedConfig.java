package dev.quartet.nvidia;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A mig-parted config file (version v1): named configs, each a list of entries. Read with NVIDIA's own rules
 * (NVIDIA/mig-parted api/spec/v1/spec.go): any GPU's profiles are accepted by the grammar of their names, so the whole
 * of NVIDIA's default file is read, entries for GPUs Quartet does not know included; a file mig-parted refuses is
 * refused with the entry named.
 *
 * @param configs the named configs, in file order
 */
public record MigPartedConfig(Map<String, List<MigConfigSpec>> configs) {

    /** The key of the GPU Operator's ConfigMap that MIG Manager mounts as its config file. */
    public static final String CONFIG_MAP_KEY = "config.yaml";

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Set<String> TOP_LEVEL = Set.of("version", "mig-configs");
    private static final Set<String> ENTRY_FIELDS = Set.of("device-filter", "devices", "mig-enabled", "mig-devices");

    public MigPartedConfig {
        Map<String, List<MigConfigSpec>> copy = new LinkedHashMap<>();
        configs.forEach((name, entries) -> copy.put(name, List.copyOf(entries)));
        configs = Collections.unmodifiableMap(copy);
    }

    /** A file mig-parted would refuse to load; the message names the entry and the field. */
    public static final class InvalidConfigException extends IllegalArgumentException {
        public InvalidConfigException(String message) {
            super(message);
        }

        InvalidConfigException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Reads a mig-parted file; throws {@link InvalidConfigException} where mig-parted would refuse it. */
    public static MigPartedConfig parse(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text == null ? "" : text);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException("mig-parted config is not valid YAML: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode() || !root.isObject()) {
            throw new InvalidConfigException("mig-parted config must be a mapping with version and mig-configs");
        }
        JsonNode version = root.path("version");
        if (!version.isTextual() || !"v1".equals(version.asText())) {
            throw new InvalidConfigException("mig-parted config version must be v1, got '" + version.asText("") + "'");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!TOP_LEVEL.contains(field)) {
                throw new InvalidConfigException("mig-parted config has an unexpected field: " + field);
            }
        }
        Map<String, List<MigConfigSpec>> configs = new LinkedHashMap<>();
        if (!root.has("mig-configs")) {
            return new MigPartedConfig(configs);
        }
        JsonNode all = root.get("mig-configs");
        if (!all.isObject() || all.isEmpty()) {
            throw new InvalidConfigException("mig-configs must hold at least one named config");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> config = it.next();
            String where = "mig-configs." + config.getKey();
            if (!config.getValue().isArray() || config.getValue().isEmpty()) {
                throw new InvalidConfigException(where + " must be a list of at least one entry");
            }
            List<MigConfigSpec> entries = new ArrayList<>();
            int i = 0;
            for (JsonNode entry : config.getValue()) {
                entries.add(parseEntry(entry, where + "[" + i++ + "]"));
            }
            configs.put(config.getKey(), entries);
        }
        return new MigPartedConfig(configs);
    }

    private static MigConfigSpec parseEntry(JsonNode n, String where) {
        if (!n.isObject()) {
            throw new InvalidConfigException(where + " must be a mapping");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!ENTRY_FIELDS.contains(field)) {
                throw new InvalidConfigException(where + " has an unexpected field: " + field);
            }
        }
        List<String> filter = deviceFilter(n.get("device-filter"), where);
        List<Integer> devices = devices(n.get("devices"), where);
        JsonNode enabled = n.get("mig-enabled");
        if (enabled == null) {
            throw new InvalidConfigException(where + ".mig-enabled is required");
        }
        if (!enabled.isBoolean() && !enabled.isNull()) {
            throw new InvalidConfigException(where + ".mig-enabled must be true or false, got " + enabled);
        }
        Map<String, Integer> migDevices = migDevices(n.get("mig-devices"), where);
        // spec.go: mig-devices must be there when MIG is on ({} is MIG on, no instances), and empty when it is off.
        if (enabled.asBoolean() && migDevices == null) {
            throw new InvalidConfigException(where + ".mig-devices is required when mig-enabled is true");
        }
        if (!enabled.asBoolean() && migDevices != null && !migDevices.isEmpty()) {
            throw new InvalidConfigException(where + ".mig-devices must be empty when mig-enabled is false");
        }
        return new MigConfigSpec(filter, devices, enabled.asBoolean(), migDevices);
    }

    /** A string or a list of strings; null or {@code ""} is no filter. */
    private static List<String> deviceFilter(JsonNode f, String where) {
        List<String> filter = new ArrayList<>();
        if (f == null || f.isNull()) {
            return filter;
        }
        if (f.isTextual()) {
            if (!f.asText().isEmpty()) {
                filter.add(f.asText());
            }
            return filter;
        }
        if (f.isArray()) {
            for (JsonNode x : f) {
                if (!x.isTextual()) {
                    throw new InvalidConfigException(
                            where + ".device-filter must be a string or a list of strings, got " + f);
                }
                filter.add(x.asText());
            }
            return filter;
        }
        throw new InvalidConfigException(where + ".device-filter must be a string or a list of strings, got " + f
                + " (quote PCI ids: unquoted, YAML reads 0x20B710DE as a number)");
    }

    /** {@code all} (null) or a list of GPU indices. */
    private static List<Integer> devices(JsonNode d, String where) {
        if (d == null) {
            throw new InvalidConfigException(where + ".devices is required");
        }
        if (d.isTextual() && "all".equals(d.asText())) {
            return null;
        }
        if (d.isArray()) {
            List<Integer> indices = new ArrayList<>();
            for (JsonNode x : d) {
                if (!x.isNumber() || !x.canConvertToExactIntegral() || !x.canConvertToInt()) {
                    throw new InvalidConfigException(
                            where + ".devices must be 'all' or a list of GPU indices, got " + d);
                }
                indices.add(x.asInt());
            }
            return indices;
        }
        throw new InvalidConfigException(where + ".devices must be 'all' or a list of GPU indices, got " + d);
    }

    /**
     * Profile name to count, or null when absent (or null). As mig-parted's {@code MigConfig.AssertValidFormat}
     * (pkg/types/mig_config.go): names by NVIDIA's grammar, counts not negative, and not all of them zero.
     */
    private static Map<String, Integer> migDevices(JsonNode m, String where) {
        if (m == null || m.isNull()) {
            return null;
        }
        if (!m.isObject()) {
            throw new InvalidConfigException(where + ".mig-devices must be a mapping of profile to count, got " + m);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = where + ".mig-devices." + e.getKey();
            try {
                MigProfileName.parse(e.getKey());
            } catch (IllegalArgumentException bad) {
                throw new InvalidConfigException(field + " is no MIG profile name: " + bad.getMessage());
            }
            JsonNode count = e.getValue();
            if (!count.isNumber() || !count.canConvertToExactIntegral() || !count.canConvertToInt()) {
                throw new InvalidConfigException(field + " must be a number of instances, got " + count);
            }
            if (count.asInt() < 0) {
                throw new InvalidConfigException(field + " must not be negative, got " + count);
            }
            counts.put(e.getKey(), count.asInt());
        }
        if (!counts.isEmpty() && counts.values().stream().allMatch(c -> c == 0)) {
            throw new InvalidConfigException(where + ".mig-devices: all counts for all MIG profiles are 0");
        }
        return counts;
    }

    public Optional<List<MigConfigSpec>> config(String name) {
        return Optional.ofNullable(configs.get(name));
    }

    /**
     * The entry of config {@code name} that decides GPU {@code index} with PCI id {@code gpu}: the last one that
     * selects it. mig-parted walks every entry in order and applies each one that selects a GPU (NVIDIA/mig-parted
     * cmd/nvidia-mig-parted/assert/assert.go, {@code WalkSelectedMigConfigForEachGPU}, which apply/config.go and
     * apply/mode.go use), so a GPU ends with what the last match wants; {@code assert} too judges a GPU by its last
     * match. Empty when no entry selects it: mig-parted leaves such a GPU as it is.
     */
    public Optional<MigConfigSpec> entryFor(String name, int index, PciDeviceId gpu) {
        return lastMatch(name, e -> e.selects(index, gpu));
    }

    /** {@link #entryFor(String, int, PciDeviceId)} for a GPU known only by its model (see MigConfigSpec#selects). */
    public Optional<MigConfigSpec> entryFor(String name, int index, GpuModel model) {
        return lastMatch(name, e -> e.selects(index, model));
    }

    private Optional<MigConfigSpec> lastMatch(String name, java.util.function.Predicate<MigConfigSpec> selects) {
        MigConfigSpec last = null;
        for (MigConfigSpec entry : configs.getOrDefault(name, List.of())) {
            if (selects.test(entry)) {
                last = entry;
            }
        }
        return Optional.ofNullable(last);
    }

    /**
     * Per GPU index of a node with {@code gpuCount} GPUs of PCI id {@code gpu}, the entry of config {@code name} that
     * decides it (see {@link #entryFor}); GPUs no entry selects are absent.
     */
    public Map<Integer, MigConfigSpec> entriesPerGpu(String name, PciDeviceId gpu, int gpuCount) {
        Map<Integer, MigConfigSpec> entries = new LinkedHashMap<>();
        for (int i = 0; i < gpuCount; i++) {
            final int index = i;
            entryFor(name, index, gpu).ifPresent(e -> entries.put(index, e));
        }
        return entries;
    }

    /**
     * Whether a GPU whose instances are {@code current} (names as NVML reports them) already has {@code wanted} (as
     * written in the config), as mig-parted decides it before it changes a GPU (pkg/types/mig_config.go,
     * {@code MigConfig.Equals}): the same names with the same counts, compared as written, so a count of 0 or a name
     * written another way ({@code 1c.1g.6gb}) makes the GPU be recreated.
     */
    public static boolean alreadyApplied(Map<String, Integer> current, Map<String, Integer> wanted) {
        if (current.size() != wanted.size()) {
            return false;
        }
        for (Map.Entry<String, Integer> e : current.entrySet()) {
            Integer w = wanted.get(e.getKey());
            if (w == null || w <= 0 || !w.equals(e.getValue())) {
                return false;
            }
        }
        return true;
    }
}
