package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.inventory.TestNodes;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MigPartedConfigWriterTest {

    private static final String NVIDIA = TestNodes.nvidiaDefault();

    /** GPU 0: four 1g, GPU 1: one 2g and two 1g, GPUs 2 and 3 MIG off: a layout Quartet writes for an A30 node. */
    private static final List<MigConfigSpec> MIXED = List.of(
            new MigConfigSpec(List.of(), List.of(0), true, Map.of("1g.6gb", 4)),
            new MigConfigSpec(List.of(), List.of(1), true, Map.of("2g.12gb", 1, "1g.6gb", 2)),
            new MigConfigSpec(List.of(), List.of(2, 3), false, Map.of()));

    private static final List<MigConfigSpec> WHOLE =
            List.of(new MigConfigSpec(List.of(), null, true, Map.of("4g.24gb", 1)));

    @SafeVarargs
    private static Map<String, List<MigConfigSpec>> entries(List<MigConfigSpec>... layouts) {
        Map<String, List<MigConfigSpec>> wanted = new LinkedHashMap<>();
        for (List<MigConfigSpec> groups : layouts) {
            wanted.put(MigPartedConfigWriter.configName(groups), groups);
        }
        return wanted;
    }

    private static Map<String, Integer> counts(String text, String name, int gpu) {
        return MigPartedConfig.parse(text)
                .entryFor(name, gpu, GpuModel.A30)
                .orElseThrow()
                .migDevices();
    }

    @Test
    void configNameIsDerivedFromTheContent() {
        String name = MigPartedConfigWriter.configName(MIXED);

        assertThat(name).matches("quartet-[0-9a-f]{10}");
        assertThat(MigPartedConfigWriter.configName(List.of(
                        new MigConfigSpec(List.of(), List.of(0), true, Map.of("1g.6gb", 4)),
                        new MigConfigSpec(List.of(), List.of(1), true, Map.of("1g.6gb", 2, "2g.12gb", 1)),
                        new MigConfigSpec(List.of(), List.of(2, 3), false, Map.of()))))
                .isEqualTo(name);
        assertThat(MigPartedConfigWriter.configName(WHOLE)).isNotEqualTo(name);
        assertThat(MigPartedConfigWriter.configName(List.of(
                        new MigConfigSpec(List.of(), List.of(0), true, Map.of("1g.6gb", 4)),
                        new MigConfigSpec(List.of(), List.of(1), true, Map.of("2g.12gb", 2)),
                        new MigConfigSpec(List.of(), List.of(2, 3), false, Map.of()))))
                .isNotEqualTo(name);
        assertThat(MigPartedConfigWriter.configName(
                        List.of(new MigConfigSpec(List.of(), List.of(0), true, Map.of("4g.24gb", 1)))))
                .isNotEqualTo(MigPartedConfigWriter.configName(WHOLE));
    }

    @Test
    void configNameDoesNotDependOnTheOrderOfProfiles() {
        Map<String, Integer> oneWay = new LinkedHashMap<>();
        oneWay.put("2g.12gb", 1);
        oneWay.put("1g.6gb", 2);
        Map<String, Integer> otherWay = new LinkedHashMap<>();
        otherWay.put("1g.6gb", 2);
        otherWay.put("2g.12gb", 1);

        assertThat(MigPartedConfigWriter.configName(List.of(new MigConfigSpec(List.of(), List.of(0), true, oneWay))))
                .isEqualTo(MigPartedConfigWriter.configName(
                        List.of(new MigConfigSpec(List.of(), List.of(0), true, otherWay))));
    }

    @Test
    void aConfigReadBackHasTheNameItWasWrittenUnder() {
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(NVIDIA, wanted, Set.of());

        assertThat(MigPartedConfigWriter.configName(
                        MigPartedConfig.parse(written).configs().get(name)))
                .isEqualTo(name);
    }

    @Test
    void addingKeepsNvidiasFileByteForByteAndAppendsTheEntry() {
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(NVIDIA, wanted, Set.of());

        assertThat(written).startsWith(NVIDIA);
        assertThat(written.substring(NVIDIA.length())).startsWith("\n  " + name + ":\n");
        MigPartedConfig before = MigPartedConfig.parse(NVIDIA);
        MigPartedConfig after = MigPartedConfig.parse(written);
        before.configs()
                .forEach((n, groups) -> assertThat(after.configs().get(n)).isEqualTo(groups));
        assertThat(counts(written, name, 0)).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(counts(written, name, 1)).isEqualTo(Map.of("2g.12gb", 1, "1g.6gb", 2));
        assertThat(MigPartedConfig.parse(written)
                        .entryFor(name, 3, GpuModel.A30)
                        .orElseThrow()
                        .migEnabled())
                .isFalse();
        assertThat(MigPartedConfig.parse(written).entryFor(name, 4, GpuModel.A30))
                .isEmpty();
    }

    /** NVIDIA's file with {@code entry} (indented as a named config, ending in a newline) after {@code line}. */
    private static String withEntryAfter(String text, String line, String entry) {
        int at = text.indexOf(line);
        assertThat(at).as("line %s", line).isNotNegative();
        int end = at + line.length();
        return text.substring(0, end) + "\n" + entry + text.substring(end);
    }

    @Test
    void quartetEntriesAmongNvidiasAreRemovedAndEveryOtherByteStays() {
        String first = "  quartet-00000aaaaa:\n    - devices: all\n      mig-enabled: false\n";
        String middle = "  quartet-00000bbbbb:\n    - devices: [0]\n      mig-enabled: true\n      mig-devices:\n"
                + "        \"4g.24gb\": 1\n";
        // after all-enabled, before "# A30-24GB" (following all-7g.80gb), and after the file's last entry
        String withFirst = withEntryAfter(NVIDIA, "      mig-enabled: true\n      mig-devices: {}\n", first);
        String withTwo = withEntryAfter(withFirst, "        \"7g.80gb\": 1\n", middle);
        String withThree = MigPartedConfigWriter.rewrite(
                withTwo, entries(WHOLE), Set.of("quartet-00000aaaaa", "quartet-00000bbbbb"));
        assertThat(MigPartedConfig.parse(withThree).configs())
                .hasSize(81 + 3)
                .containsKeys("quartet-00000aaaaa", "quartet-00000bbbbb", MigPartedConfigWriter.configName(WHOLE));

        assertThat(MigPartedConfigWriter.rewrite(withThree, Map.of(), Set.of())).isEqualTo(NVIDIA);
        assertThat(MigPartedConfigWriter.rewrite(withThree, Map.of(), Set.of("quartet-00000bbbbb")))
                .isEqualTo(withEntryAfter(NVIDIA, "        \"7g.80gb\": 1\n", middle));
        assertThat(MigPartedConfigWriter.rewrite(withThree, entries(WHOLE), Set.of()))
                .isEqualTo(MigPartedConfigWriter.rewrite(NVIDIA, entries(WHOLE), Set.of()));
    }

    @Test
    void rewritingIsIdempotentAndReturnsTheOriginalWhenNothingChanges() {
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED, WHOLE);

        String once = MigPartedConfigWriter.rewrite(NVIDIA, wanted, Set.of());

        assertThat(MigPartedConfigWriter.rewrite(NVIDIA, wanted, Set.of())).isEqualTo(once);
        assertThat(MigPartedConfigWriter.rewrite(once, wanted, Set.of())).isSameAs(once);
        assertThat(MigPartedConfigWriter.rewrite(NVIDIA, Map.of(), Set.of())).isSameAs(NVIDIA);
    }

    @Test
    void theOrderOfWantedEntriesDoesNotChangeTheBytes() {
        Map<String, List<MigConfigSpec>> oneWay = entries(MIXED, WHOLE);
        Map<String, List<MigConfigSpec>> otherWay = entries(WHOLE, MIXED);

        assertThat(MigPartedConfigWriter.rewrite(NVIDIA, oneWay, Set.of()))
                .isEqualTo(MigPartedConfigWriter.rewrite(NVIDIA, otherWay, Set.of()));
    }

    @Test
    void quartetEntriesNoLongerWantedAreRemovedAndTheFileIsAsBefore() {
        String withBoth = MigPartedConfigWriter.rewrite(NVIDIA, entries(MIXED, WHOLE), Set.of());

        assertThat(MigPartedConfigWriter.rewrite(withBoth, entries(WHOLE), Set.of()))
                .isEqualTo(MigPartedConfigWriter.rewrite(NVIDIA, entries(WHOLE), Set.of()));
        assertThat(MigPartedConfigWriter.rewrite(withBoth, Map.of(), Set.of())).isEqualTo(NVIDIA);
    }

    @Test
    void quartetEntriesInUseStayAsTheyAreWhenAnotherIsWritten() {
        String original = """
                version: v1
                mig-configs:
                  quartet-00000aaaaa:
                    - devices: all   # written by an earlier pass
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                  quartet-00000bbbbb:
                    - devices: all
                      mig-enabled: false
                """;
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of("quartet-00000aaaaa", "quartet-gone"));

        assertThat(written).startsWith("""
                version: v1
                mig-configs:
                  quartet-00000aaaaa:
                    - devices: all   # written by an earlier pass
                      mig-enabled: true
                      mig-devices: {"4g.24gb": 1}
                """);
        assertThat(MigPartedConfig.parse(written).configs()).containsOnlyKeys("quartet-00000aaaaa", name);
        assertThat(MigPartedConfigWriter.rewrite(written, wanted, Set.of("quartet-00000aaaaa")))
                .isSameAs(written);
    }

    @Test
    void anEntryUnderAWantedNameWithOtherContentIsReplaced() {
        String name = MigPartedConfigWriter.configName(MIXED);
        String stale = MigPartedConfigWriter.rewrite(NVIDIA, Map.of(name, WHOLE), Set.of());

        String written = MigPartedConfigWriter.rewrite(stale, Map.of(name, MIXED), Set.of());

        assertThat(written).isEqualTo(MigPartedConfigWriter.rewrite(NVIDIA, Map.of(name, MIXED), Set.of()));
        assertThat(counts(written, name, 1)).isEqualTo(Map.of("2g.12gb", 1, "1g.6gb", 2));
    }

    @Test
    void entriesAndCommentsAroundARemovedEntryStayAsTheyWere() {
        String original = """
                # managed by the cluster admins; Quartet adds its own entries
                version: v1
                mig-configs:
                  # admins' layout for the inference pool
                  pool-a:
                    - devices: [0, 1]   # the two left GPUs
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}

                  quartet-00000aaaaa:
                    - devices: all
                      mig-enabled: true
                      mig-devices:
                        "4g.24gb": 1

                  # keep this one for the batch jobs
                  pool-b:
                    - devices: all
                      mig-enabled: false
                """;

        String written = MigPartedConfigWriter.rewrite(original, Map.of(), Set.of());

        assertThat(written).isEqualTo("""
                # managed by the cluster admins; Quartet adds its own entries
                version: v1
                mig-configs:
                  # admins' layout for the inference pool
                  pool-a:
                    - devices: [0, 1]   # the two left GPUs
                      mig-enabled: true
                      mig-devices: {"1g.6gb": 4}

                  # keep this one for the batch jobs
                  pool-b:
                    - devices: all
                      mig-enabled: false
                """);
    }

    @Test
    void handlesListItemsAtTheIndentationOfTheirKey() {
        String original = """
                version: v1
                mig-configs:
                  pool-a:
                  - devices: all
                    mig-enabled: false
                  quartet-00000aaaaa:
                  - devices: all
                    mig-enabled: true
                    mig-devices:
                      4g.24gb: 1
                  pool-b:
                  - devices: [0]
                    mig-enabled: true
                    mig-devices: {"2g.12gb": 2}
                """;
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);
        String name = wanted.keySet().iterator().next();

        // The foreign entries, as they were, without Quartet's stale one.
        String foreign = """
                version: v1
                mig-configs:
                  pool-a:
                  - devices: all
                    mig-enabled: false
                  pool-b:
                  - devices: [0]
                    mig-enabled: true
                    mig-devices: {"2g.12gb": 2}
                """;

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

        assertThat(written).startsWith(foreign);
        MigPartedConfig parsed = MigPartedConfig.parse(written);
        assertThat(parsed.configs()).containsOnlyKeys("pool-a", "pool-b", name);
        assertThat(parsed.configs().get(name))
                .isEqualTo(MigPartedConfig.parse(MigPartedConfigWriter.rewrite(NVIDIA, wanted, Set.of()))
                        .configs()
                        .get(name));
        assertThat(MigPartedConfigWriter.rewrite(written, wanted, Set.of())).isSameAs(written);
        assertThat(MigPartedConfigWriter.rewrite(written, Map.of(), Set.of())).isEqualTo(foreign);
    }

    @Test
    void entriesAreAddedInsideMigConfigsWhenAnotherKeyFollowsIt() {
        String original = """
                mig-configs:
                  all-disabled:
                    - devices: all
                      mig-enabled: false

                version: v1
                """;
        Map<String, List<MigConfigSpec>> wanted = entries(WHOLE);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

        assertThat(written).startsWith("""
                mig-configs:
                  all-disabled:
                    - devices: all
                      mig-enabled: false

                  %s:
                """.formatted(name));
        assertThat(written).endsWith("\nversion: v1\n");
        assertThat(counts(written, name, 0)).isEqualTo(Map.of("4g.24gb", 1));
        assertThat(MigPartedConfigWriter.rewrite(written, Map.of(), Set.of())).isEqualTo(original);
    }

    @Test
    void aTopLevelKeyMigPartedDoesNotKnowStaysWhereItIs() {
        String original = """
                version: v1
                mig-configs:
                  all-disabled:
                    - devices: all
                      mig-enabled: false

                x-owner: cluster-admins
                """;
        Map<String, List<MigConfigSpec>> wanted = entries(WHOLE);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

        // mig-parted refuses this file (api/spec/v1/spec.go: unexpected field), but it is not Quartet's to fix
        assertThat(written).endsWith("\nx-owner: cluster-admins\n");
        assertThat(MigPartedConfigWriter.tree(written).path("mig-configs").has(name))
                .isTrue();
        assertThat(MigPartedConfigWriter.rewrite(written, Map.of(), Set.of())).isEqualTo(original);
    }

    @Test
    void deviceFiltersAreWrittenSoTheyReadBackAsPciIds() {
        List<MigConfigSpec> a30Only = List.of(
                new MigConfigSpec(List.of("0x20B710DE"), null, true, new TreeMap<>(Map.of("1g.6gb", 2, "2g.12gb", 1))));
        Map<String, List<MigConfigSpec>> wanted = entries(a30Only);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(NVIDIA, wanted, Set.of());

        assertThat(written).startsWith(NVIDIA);
        MigPartedConfig parsed = MigPartedConfig.parse(written);
        assertThat(parsed.entryFor(name, 0, GpuModel.A30).orElseThrow().deviceFilter())
                .containsExactly("0x20B710DE");
        assertThat(parsed.entryFor(name, 0, GpuModel.A100_40GB)).isEmpty();
        assertThat(MigPartedConfigWriter.rewrite(written, wanted, Set.of())).isSameAs(written);
    }

    @Test
    void aFlowStyleFileIsRewrittenInFull() {
        String original = "version: v1\nmig-configs: {all-disabled: [{devices: all, mig-enabled: false}]}\n";
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

        MigPartedConfig parsed = MigPartedConfig.parse(written);
        assertThat(parsed.configs()).containsOnlyKeys("all-disabled", name);
        assertThat(parsed.configs().get("all-disabled"))
                .containsExactly(new MigConfigSpec(List.of(), null, false, Map.of()));
        assertThat(counts(written, name, 1)).isEqualTo(Map.of("2g.12gb", 1, "1g.6gb", 2));
        assertThat(MigPartedConfigWriter.rewrite(written, wanted, Set.of())).isSameAs(written);
    }

    @Test
    void theEmptyFileQuartetStartsFromGetsItsEntries() {
        Map<String, List<MigConfigSpec>> wanted = entries(WHOLE);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite("version: v1\nmig-configs: {}\n", wanted, Set.of());

        assertThat(MigPartedConfig.parse(written).configs()).containsOnlyKeys(name);
        assertThat(counts(written, name, 2)).isEqualTo(Map.of("4g.24gb", 1));
    }

    @Test
    void aFileWithAnEmptyOrNoMigConfigsGetsItsEntries() {
        Map<String, List<MigConfigSpec>> wanted = entries(WHOLE);
        String name = wanted.keySet().iterator().next();

        for (String original : List.of("version: v1\nmig-configs:\n", "version: v1\n")) {
            String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

            assertThat(MigPartedConfig.parse(written).configs()).as(original).containsOnlyKeys(name);
            assertThat(counts(written, name, 0)).isEqualTo(Map.of("4g.24gb", 1));
            assertThat(MigPartedConfigWriter.rewrite(original, Map.of(), Set.of()))
                    .isSameAs(original);
        }
    }

    @Test
    void windowsLineEndingsAreKept() {
        String original = NVIDIA.replace("\n", "\r\n");
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

        assertThat(written).startsWith(original);
        assertThat(written.replace("\r\n", "")).doesNotContain("\n");
        assertThat(MigPartedConfigWriter.rewrite(written, Map.of(), Set.of())).isEqualTo(original);
    }

    @Test
    void aQuartetEntryTheTextEditCannotFindFallsBackToAFullRewrite() {
        String original = """
                version: v1
                mig-configs:
                  # kept entry
                  all-disabled:
                    - devices: all
                      mig-enabled: false
                  quartet-00000aaaaa: [{devices: all, mig-enabled: true, mig-devices: {"4g.24gb": 1}}]
                """;
        Map<String, List<MigConfigSpec>> wanted = entries(MIXED);
        String name = wanted.keySet().iterator().next();

        String written = MigPartedConfigWriter.rewrite(original, wanted, Set.of());

        MigPartedConfig parsed = MigPartedConfig.parse(written);
        assertThat(parsed.configs()).containsOnlyKeys("all-disabled", name);
        assertThat(MigPartedConfigWriter.tree(written).path("version").asText()).isEqualTo("v1");
        assertThat(counts(written, name, 0)).isEqualTo(Map.of("1g.6gb", 4));
    }
}
