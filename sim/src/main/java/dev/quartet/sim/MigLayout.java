package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfileTable;
import java.util.Map;
import java.util.TreeMap;

/**
 * The MIG layout of one GPU as the command line spells it: {@code 4x1g.6gb}, {@code 2x1g.6gb+1x2g.12gb},
 * {@code none} (MIG enabled, no instances) or {@code disabled} (MIG mode off).
 *
 * @param migEnabled whether MIG mode is on
 * @param counts     instance count per profile name (sorted, no zeros)
 */
public record MigLayout(boolean migEnabled, Map<String, Integer> counts) {

    public MigLayout {
        counts = java.util.Collections.unmodifiableMap(new TreeMap<>(nonZero(counts)));
    }

    public static final MigLayout NONE = new MigLayout(true, Map.of());
    public static final MigLayout DISABLED = new MigLayout(false, Map.of());

    /** Parses {@code NxPROFILE[+NxPROFILE...]}, {@code none} or {@code disabled}. */
    public static MigLayout parse(String text) {
        String t = text.trim();
        if (t.isEmpty() || t.equals("none")) {
            return NONE;
        }
        if (t.equals("disabled")) {
            return DISABLED;
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (String part : t.split("\\+(?=\\d+x)")) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("^(\\d+)x(\\S+)$").matcher(part);
            if (!m.matches()) {
                throw new IllegalArgumentException(
                        "bad layout '" + text + "': expected e.g. 4x1g.6gb, 2x1g.6gb+1x2g.12gb, " + "none or disabled");
            }
            counts.merge(m.group(2), Integer.parseInt(m.group(1)), Integer::sum);
        }
        return new MigLayout(true, counts);
    }

    /** The same layout validated against a GPU model (throws with the hardware's reason when illegal). */
    public MigProfileTable.Placement placeOn(GpuModel model) {
        return model.migTable().place(counts);
    }

    /** Name of the {@code sim-} config the simulator adds to the ConfigMap when no default config yields it. */
    public String configName() {
        if (!migEnabled) {
            return "sim-disabled";
        }
        if (counts.isEmpty()) {
            return "sim-none";
        }
        StringBuilder sb = new StringBuilder("sim-");
        counts.forEach((p, n) ->
                sb.append(sb.length() > 4 ? "_" : "").append(n).append('x').append(p.replace('+', '.')));
        return sb.toString();
    }

    /** This layout as one mig-parted config entry (YAML lines, indented by {@code indent}). */
    public String toConfigEntryYaml(String indent) {
        StringBuilder sb = new StringBuilder();
        sb.append(indent).append("- devices: all\n");
        sb.append(indent).append("  mig-enabled: ").append(migEnabled).append('\n');
        if (migEnabled) {
            if (counts.isEmpty()) {
                sb.append(indent).append("  mig-devices: {}\n");
            } else {
                sb.append(indent).append("  mig-devices:\n");
                counts.forEach((p, n) -> sb.append(indent)
                        .append("    \"")
                        .append(p)
                        .append("\": ")
                        .append(n)
                        .append('\n'));
            }
        }
        return sb.toString();
    }

    /** {@code {1g.6gb=2, 2g.12gb=1}} as {@code 2x1g.6gb+1x2g.12gb}. */
    public static String describe(Map<String, Integer> counts) {
        StringBuilder sb = new StringBuilder();
        counts.forEach((k, v) -> {
            if (v > 0) {
                sb.append(sb.length() == 0 ? "" : "+").append(v).append('x').append(k);
            }
        });
        return sb.length() == 0 ? "no instances" : sb.toString();
    }

    /** The counts without zeros, sorted by profile name. */
    static Map<String, Integer> nonZero(Map<String, Integer> counts) {
        Map<String, Integer> result = new TreeMap<>();
        counts.forEach((k, v) -> {
            if (v > 0) {
                result.put(k, v);
            }
        });
        return result;
    }

    @Override
    public String toString() {
        if (!migEnabled) {
            return "disabled";
        }
        return counts.isEmpty() ? "none" : describe(counts);
    }
}
