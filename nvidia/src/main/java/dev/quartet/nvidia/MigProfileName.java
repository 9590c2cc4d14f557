package dev.quartet.nvidia;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A MIG profile name by NVIDIA's grammar, {@code [<c>c.]<g>g.<gb>gb[+attr,...|-attr,...]}: {@code 1g.6gb},
 * {@code 1c.2g.10gb}, {@code 1g.6gb+me}, {@code 1g.24gb+me.all}, {@code 1g.24gb+gfx}, {@code 1g.24gb-me}. Written as
 * go-nvlib reads it (NVIDIA/go-nvlib pkg/nvlib/device/mig_profile.go, parseMigProfile, vendored by mig-parted), which
 * is what mig-parted accepts in {@code mig-devices}; a name of a GPU no table here knows is still a valid name.
 *
 * @param computeSlices compute-instance slices ({@code c}; equal to {@code g} when the name has no {@code c} part)
 * @param gpuSlices GPU-instance compute slices ({@code g})
 * @param memoryGb memory in GB as the name spells it
 * @param attributes the {@code +} attributes, e.g. {@code [me]}, {@code [me.all]}, {@code [gfx]}
 * @param negativeAttributes the {@code -} attributes, e.g. {@code [me]} for {@code -me} (no media engine)
 */
public record MigProfileName(
        int computeSlices, int gpuSlices, int memoryGb, List<String> attributes, List<String> negativeAttributes) {

    /** The media extensions attribute ({@code +me}): the instance gets the GPU's media engines. */
    public static final String MEDIA_EXTENSIONS = "me";
    /** All media engines ({@code +me.all}). */
    public static final String MEDIA_EXTENSIONS_ALL = "me.all";
    /** Graphics ({@code +gfx}). */
    public static final String GRAPHICS = "gfx";

    private static final Pattern FIELD = Pattern.compile("(\\d+)(c|g|gb)");
    private static final Pattern ATTRIBUTE = Pattern.compile("[A-Za-z][A-Za-z0-9.]*");

    public MigProfileName {
        attributes = List.copyOf(attributes);
        negativeAttributes = List.copyOf(negativeAttributes);
    }

    /** Parses a profile name; throws IllegalArgumentException saying what is wrong, as go-nvlib refuses it. */
    public static MigProfileName parse(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("profile is the empty string");
        }
        int plus = name.indexOf('+');
        int minus = name.indexOf('-');
        if (plus >= 0 && minus >= 0) {
            throw new IllegalArgumentException("profile '" + name + "' contains both '+/-' attributes");
        }
        int split = plus >= 0 ? plus : minus;
        String fields = split >= 0 ? name.substring(0, split) : name;
        String[] parts = fields.split("\\.", 3);
        int c;
        int g;
        int gb;
        if (parts.length == 3) {
            c = field(name, parts[0], "c");
            g = field(name, parts[1], "g");
            gb = field(name, parts[2], "gb");
        } else if (parts.length == 2) {
            g = field(name, parts[0], "g");
            c = g;
            gb = field(name, parts[1], "gb");
        } else {
            throw new IllegalArgumentException(
                    "cannot parse fields of '" + name + "': parsed wrong number of fields, expected 2 or 3");
        }
        if (split < 0) {
            return new MigProfileName(c, g, gb, List.of(), List.of());
        }
        List<String> attributes = attributes(name, name.substring(split + 1));
        return plus >= 0
                ? new MigProfileName(c, g, gb, attributes, List.of())
                : new MigProfileName(c, g, gb, List.of(), attributes);
    }

    /** Whether {@code name} is a valid profile name by NVIDIA's grammar. */
    public static boolean isValid(String name) {
        try {
            parse(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Why {@code name} cannot be the name of a GPU-instance profile as a slice is asked for ({@code 1g.18gb},
     * {@code 1g.18gb+me}), or null when it can: it must parse, be written as NVIDIA writes it, and name no compute
     * instance smaller than its GPU instance. Whether some GPU has that profile is another question: a GPU Quartet
     * learns of from a node agent may.
     */
    public static String gpuInstanceNameProblem(String name) {
        MigProfileName parsed;
        try {
            parsed = parse(name);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (parsed.computeSlices() != parsed.gpuSlices()) {
            return "profile '" + name + "' names a compute instance, not a GPU instance";
        }
        if (!parsed.toString().equals(name)) {
            return "profile '" + name + "' is not written as NVIDIA writes it: " + parsed;
        }
        return null;
    }

    private static int field(String name, String text, String suffix) {
        Matcher m = FIELD.matcher(text);
        if (!m.matches() || !m.group(2).equals(suffix)) {
            throw new IllegalArgumentException(
                    "cannot parse fields of '" + name + "': expected '%d" + suffix + "', got '" + text + "'");
        }
        try {
            return Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "cannot parse fields of '" + name + "': malformed number in '" + text + "'");
        }
    }

    private static List<String> attributes(String name, String text) {
        List<String> result = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String a : text.split(",", -1)) {
            if (!ATTRIBUTE.matcher(a).matches() || a.endsWith(".")) {
                throw new IllegalArgumentException("cannot parse attributes of '" + name + "': '" + a
                        + "' is not a letter followed by letters, digits and dots (not ending in a dot)");
            }
            if (!seen.add(a)) {
                throw new IllegalArgumentException(
                        "cannot parse attributes of '" + name + "': non unique attribute in list");
            }
            result.add(a);
        }
        return result;
    }

    /**
     * Whether this name and {@code other} name the same profile, as go-nvlib's {@code MigProfileInfo.Matches}
     * decides it: same slices and memory, same attributes in any order ({@code 1c.1g.6gb} is {@code 1g.6gb}).
     */
    public boolean matches(MigProfileName other) {
        return computeSlices == other.computeSlices
                && gpuSlices == other.gpuSlices
                && memoryGb == other.memoryGb
                && Set.copyOf(attributes).equals(Set.copyOf(other.attributes))
                && Set.copyOf(negativeAttributes).equals(Set.copyOf(other.negativeAttributes));
    }

    /** Whether the profile carries media extensions ({@code +me} or {@code +me.all}): one such instance per GPU. */
    public boolean hasMediaExtensions() {
        return attributes.contains(MEDIA_EXTENSIONS) || attributes.contains(MEDIA_EXTENSIONS_ALL);
    }

    /** The name as NVIDIA writes it (go-nvlib's {@code MigProfileInfo.String}): no {@code c} part when c equals g. */
    @Override
    public String toString() {
        String base = computeSlices == gpuSlices
                ? gpuSlices + "g." + memoryGb + "gb"
                : computeSlices + "c." + gpuSlices + "g." + memoryGb + "gb";
        if (!negativeAttributes.isEmpty()) {
            return base + "-" + String.join(",", negativeAttributes);
        }
        return attributes.isEmpty() ? base : base + "+" + String.join(",", attributes);
    }
}
