package dev.quartet.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A parsed mig-parted config file (format v1), validated with the same rules as NVIDIA's {@code api/spec/v1}.
 *
 * @param configs named configs in file order
 */
public record MigPartedConfig(Map<String, List<MigConfigSpec>> configs) {

    /** ConfigMap data key under which the GPU Operator mounts the file. */
    public static final String DATA_KEY = "config.yaml";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern PROFILE = Pattern.compile("^(\\d+c\\.)?\\d+g\\.\\d+gb(\\+[a-z]+(,[a-z]+)*)?$");

    public MigPartedConfig {
        configs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configs));
    }

    /** Raised for a file mig-parted itself would refuse to load. */
    public static final class InvalidConfigException extends RuntimeException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }

    /** NVIDIA's default ConfigMap (the GPU Operator's {@code default-mig-parted-config}) as YAML text. */
    public static String defaultConfigMapYaml() {
        try (InputStream in = MigPartedConfig.class.getResourceAsStream("default-mig-parted-config.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code config.yaml} text inside NVIDIA's default ConfigMap. */
    public static String defaultConfigYaml() {
        try {
            return YAML.readTree(defaultConfigMapYaml())
                    .path("data")
                    .path(DATA_KEY)
                    .asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses and validates a mig-parted config file. */
    public static MigPartedConfig parse(String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new InvalidConfigException("unmarshal error: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidConfigException("unmarshal error: not a mapping");
        }
        if (!"v1".equals(root.path("version").asText(null))) {
            throw new InvalidConfigException(
                    "unknown version: " + root.path("version").asText("<missing>"));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("version", "mig-configs").contains(field)) {
                throw new InvalidConfigException("unexpected field: " + field);
            }
        }
        JsonNode configs = root.path("mig-configs");
        if (!configs.isObject() || configs.isEmpty()) {
            throw new InvalidConfigException("at least one entry in 'mig-configs' is required");
        }
        Map<String, List<MigConfigSpec>> result = new LinkedHashMap<>();
        configs.fields().forEachRemaining(e -> {
            if (!e.getValue().isArray() || e.getValue().isEmpty()) {
                throw new InvalidConfigException("at least one entry in '" + e.getKey() + "' is required");
            }
            List<MigConfigSpec> specs = new ArrayList<>();
            for (JsonNode entry : e.getValue()) {
                specs.add(parseSpec(e.getKey(), entry));
            }
            result.put(e.getKey(), specs);
        });
        return new MigPartedConfig(result);
    }

    private static MigConfigSpec parseSpec(String config, JsonNode n) {
        String where = "mig-configs." + config;
        if (!n.isObject()) {
            throw new InvalidConfigException(where + ": entry is not a mapping");
        }
        for (String required : List.of("devices", "mig-enabled")) {
            if (!n.has(required)) {
                throw new InvalidConfigException(where + ": missing required field: " + required);
            }
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("device-filter", "devices", "mig-enabled", "mig-devices")
                    .contains(field)) {
                throw new InvalidConfigException(where + ": unexpected field: " + field);
            }
        }
        List<String> filter = new ArrayList<>();
        JsonNode f = n.get("device-filter");
        if (f != null && f.isTextual()) {
            filter.add(f.asText());
        } else if (f != null && f.isArray()) {
            f.forEach(x -> {
                if (!x.isTextual()) {
                    throw new InvalidConfigException(where + ": device-filter must be a string or a list of strings");
                }
                filter.add(x.asText());
            });
        } else if (f != null && !f.isNull()) {
            throw new InvalidConfigException(where + ": device-filter must be a string or a list of strings");
        }
        List<Integer> devices = null;
        JsonNode d = n.get("devices");
        if (d.isTextual()) {
            if (!"all".equals(d.asText())) {
                throw new InvalidConfigException(where + ": invalid string input for 'devices': " + d.asText());
            }
        } else if (d.isArray()) {
            devices = new ArrayList<>();
            for (JsonNode x : d) {
                if (!x.canConvertToExactIntegral() || x.asInt() < 0) {
                    throw new InvalidConfigException(where + ": devices must be 'all' or a list of GPU indices");
                }
                devices.add(x.asInt());
            }
        } else {
            throw new InvalidConfigException(where + ": devices must be 'all' or a list of GPU indices");
        }
        JsonNode enabled = n.get("mig-enabled");
        if (!enabled.isBoolean()) {
            throw new InvalidConfigException(where + ": mig-enabled must be true or false");
        }
        Map<String, Integer> migDevices = new LinkedHashMap<>();
        JsonNode m = n.get("mig-devices");
        if (m != null && !m.isNull()) {
            if (!m.isObject()) {
                throw new InvalidConfigException(where + ": mig-devices must be a mapping of profile to count");
            }
            m.fields().forEachRemaining(p -> {
                if (!PROFILE.matcher(p.getKey()).matches()) {
                    throw new InvalidConfigException(where + ": invalid MIG profile format '" + p.getKey() + "'");
                }
                if (!p.getValue().canConvertToExactIntegral() || p.getValue().asInt() < 0) {
                    throw new InvalidConfigException(where + ": invalid count for '" + p.getKey() + "'");
                }
                migDevices.put(p.getKey(), p.getValue().asInt());
            });
        }
        if (enabled.asBoolean() && (m == null || m.isNull())) {
            throw new InvalidConfigException(
                    where + ": missing required field 'mig-devices' when 'mig-enabled' is true");
        }
        if (!enabled.asBoolean() && !migDevices.isEmpty()) {
            throw new InvalidConfigException(where + ": MIG devices included when 'mig-enabled' is false");
        }
        return new MigConfigSpec(filter, devices, enabled.asBoolean(), migDevices);
    }

    public Optional<List<MigConfigSpec>> config(String name) {
        return Optional.ofNullable(configs.get(name));
    }

    /**
     * What config {@code name} wants on each GPU of a node with {@code gpuCount} GPUs of {@code model}: for each GPU
     * index the last matching entry (mig-parted walks entries in order, so a later match wins); GPUs no entry selects
     * are absent (left untouched).
     */
    public Map<Integer, MigConfigSpec> desiredPerGpu(String name, GpuModel model, int gpuCount) {
        Map<Integer, MigConfigSpec> desired = new LinkedHashMap<>();
        for (MigConfigSpec spec : configs.getOrDefault(name, List.of())) {
            for (int i = 0; i < gpuCount; i++) {
                if (spec.matches(i, model.pciDeviceId())) {
                    desired.put(i, spec);
                }
            }
        }
        return desired;
    }

    /**
     * The first config (file order) that gives every GPU of such a node exactly {@code layout}, if any.
     */
    public Optional<String> configYielding(MigLayout layout, GpuModel model, int gpuCount) {
        for (String name : configs.keySet()) {
            Map<Integer, MigConfigSpec> desired = desiredPerGpu(name, model, gpuCount);
            boolean all = desired.size() == gpuCount
                    && desired.values().stream()
                            .allMatch(s -> s.migEnabled() == layout.migEnabled()
                                    && nonZero(s.migDevices()).equals(layout.counts()));
            if (all) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    static Map<String, Integer> nonZero(Map<String, Integer> counts) {
        Map<String, Integer> result = new java.util.TreeMap<>();
        counts.forEach((k, v) -> {
            if (v > 0) {
                result.put(k, v);
            }
        });
        return result;
    }
}
