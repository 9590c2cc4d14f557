package dev.quartet.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes Quartet's named configs into a mig-parted file while keeping every other entry, and its
 * comments, byte for byte. Quartet's entries are named {@code quartet-<hash of content>}.
 */
public final class MigPartedConfigWriter {

    public static final String PREFIX = "quartet-";
    private static final Pattern KEY_LINE = Pattern.compile("^( *)([A-Za-z0-9_.+\"'-]+)\\s*:\\s*(#.*)?$");
    private static final YAMLMapper WRITER = YAMLMapper.builder(YAMLFactory.builder()
                    .stringQuotingChecker(new QuoteRadixNumbers())
                    .build())
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build();

    /** Reads files as {@link MigPartedConfig#parse} does, keeping the raw tree. */
    private static final YAMLMapper READER = new YAMLMapper();

    private MigPartedConfigWriter() {}

    /** The raw YAML tree of a file, for writers that must keep entries they did not write. */
    static ObjectNode tree(String text) {
        try {
            JsonNode n = READER.readTree(text);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("mig-parted config must be a mapping");
            }
            return (ObjectNode) n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Also quotes strings YAML reads as hex, octal or binary numbers: unquoted, a device-filter such as
     * {@code 0x20B710DE} would be read back as the number 548868318 and select no GPU.
     */
    private static final class QuoteRadixNumbers extends StringQuotingChecker.Default {
        private static final Pattern RADIX_NUMBER = Pattern.compile("[-+]?0[xXoObB][0-9a-fA-F_]*");

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || RADIX_NUMBER.matcher(value).matches();
        }
    }

    /** A stable name derived from the groups' content: the same layout always gets the same name. */
    public static String configName(List<MigConfigSpec> groups) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(WRITER.writeValueAsString(toYamlTree(groups)).getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(digest, 0, 5);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Returns {@code original} with {@code wanted} as its Quartet entries (missing ones appended to
     * {@code mig-configs}) plus those named in {@code inUse} it already has, which stay as they are; other Quartet
     * entries are removed, everything else left as it was.
     */
    public static String rewrite(String original, Map<String, List<MigConfigSpec>> wanted, Set<String> inUse) {
        ObjectNode tree = tree(original);
        JsonNode existing = tree.path("mig-configs");
        if (!existing.isObject() && !existing.isNull() && !existing.isMissingNode()) {
            throw new IllegalArgumentException("mig-configs must be a mapping of named configs");
        }
        // An empty "mig-configs:" (or none at all) is a file without configs yet.
        ObjectNode configs = existing.isObject() ? (ObjectNode) existing : tree.objectNode();
        Map<String, JsonNode> expected = new LinkedHashMap<>();
        configs.fields().forEachRemaining(e -> {
            if (!e.getKey().startsWith(PREFIX) || wanted.containsKey(e.getKey()) || inUse.contains(e.getKey())) {
                expected.put(e.getKey(), e.getValue());
            }
        });
        SortedMap<String, List<MigConfigSpec>> toAdd = new TreeMap<>();
        wanted.forEach((name, groups) -> {
            if (!configs.has(name) || !configs.get(name).equals(toYamlTree(groups))) {
                toAdd.put(name, groups);
                expected.put(name, toYamlTree(groups));
            }
        });
        List<String> remove = new ArrayList<>();
        configs.fieldNames().forEachRemaining(n -> {
            if (n.startsWith(PREFIX) && ((!wanted.containsKey(n) && !inUse.contains(n)) || toAdd.containsKey(n))) {
                remove.add(n);
            }
        });
        if (remove.isEmpty() && toAdd.isEmpty()) {
            return original;
        }
        String edited = editText(original, remove, toAdd);
        if (edited != null && tree(edited).path("mig-configs").equals(WRITER.valueToTree(expected))) {
            return edited;
        }
        // Unusual formatting defeated the text edit: fall back to a full rewrite (comments are lost).
        ObjectNode copy = tree.deepCopy();
        copy.set("mig-configs", WRITER.valueToTree(expected));
        try {
            return WRITER.writeValueAsString(copy);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String editText(String original, List<String> remove, Map<String, List<MigConfigSpec>> add) {
        List<String> lines = new ArrayList<>(original.lines().toList());
        int configsLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("^mig-configs\\s*:\\s*(#.*)?$")) {
                configsLine = i;
                break;
            }
        }
        if (configsLine < 0) {
            return null;
        }
        int entryIndent = -1;
        int end = lines.size();
        for (int i = configsLine + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank() || l.trim().startsWith("#")) {
                continue;
            }
            int indent = indentOf(l);
            if (indent == 0) {
                end = i;
                break;
            }
            if (entryIndent < 0) {
                entryIndent = indent;
            }
        }
        if (entryIndent < 0) {
            entryIndent = 2;
        }
        for (String name : remove) {
            int[] range = entryRange(lines, configsLine + 1, end, entryIndent, name);
            if (range == null) {
                return null;
            }
            lines.subList(range[0], range[1]).clear();
            end -= range[1] - range[0];
        }
        while (end > configsLine + 1 && lines.get(end - 1).isBlank()) {
            end--;
        }
        List<String> block = new ArrayList<>();
        for (Map.Entry<String, List<MigConfigSpec>> e : add.entrySet()) {
            block.add("");
            block.add(" ".repeat(entryIndent) + e.getKey() + ":");
            for (String l : render(e.getValue()).lines().toList()) {
                block.add(" ".repeat(entryIndent + 2) + l);
            }
        }
        lines.addAll(end, block);
        String newline = original.contains("\r\n") ? "\r\n" : "\n";
        return String.join(newline, lines) + newline;
    }

    private static int[] entryRange(List<String> lines, int from, int to, int indent, String name) {
        for (int i = from; i < to; i++) {
            Matcher m = KEY_LINE.matcher(lines.get(i));
            if (m.matches()
                    && m.group(1).length() == indent
                    && unquote(m.group(2)).equals(name)) {
                int j = i + 1;
                while (j < to) {
                    String l = lines.get(j);
                    boolean continues = l.isBlank()
                            || l.trim().startsWith("#")
                            || indentOf(l) > indent
                            || (indentOf(l) == indent && l.trim().startsWith("-"));
                    if (!continues) {
                        break;
                    }
                    j++;
                }
                while (j > i + 1
                        && (lines.get(j - 1).isBlank()
                                || lines.get(j - 1).trim().startsWith("#"))) {
                    j--;
                }
                int start = i;
                while (start > from && lines.get(start - 1).isBlank()) {
                    start--;
                }
                return new int[] {start, j};
            }
        }
        return null;
    }

    private static String unquote(String s) {
        return s.length() > 1 && (s.startsWith("\"") || s.startsWith("'")) ? s.substring(1, s.length() - 1) : s;
    }

    private static int indentOf(String l) {
        int i = 0;
        while (i < l.length() && l.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static String render(List<MigConfigSpec> groups) {
        try {
            return WRITER.writeValueAsString(toYamlTree(groups));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The YAML shape of a config's groups, as mig-parted reads it. */
    static JsonNode toYamlTree(List<MigConfigSpec> groups) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MigConfigSpec g : groups) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (g.deviceFilter() != null && !g.deviceFilter().isEmpty()) {
                m.put("device-filter", g.deviceFilter());
            }
            m.put("devices", g.devices() == null ? "all" : g.devices());
            m.put("mig-enabled", g.migEnabled());
            if (g.migEnabled()) {
                m.put("mig-devices", new TreeMap<>(g.migDevices()));
            }
            out.add(m);
        }
        return WRITER.valueToTree(out);
    }
}
