package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each GPU accepts, checked against NVIDIA's tables and an exhaustive packing oracle. */
class MigProfileTableTest {

    private static GpuInstance at(GpuModel model, String profile, int start) {
        return new GpuInstance(model.requireProfile(profile), start);
    }

    private static List<String> placed(GpuModel model, Map<String, Integer> counts) {
        MigProfileTable.Placement p = model.migTable().place(counts);
        assertThat(p.legal()).as("legal: %s (%s)", counts, p.error()).isTrue();
        return p.instances().stream().map(GpuInstance::toString).sorted().toList();
    }

    private static MigProfileTable.Placement place(GpuModel model, Map<String, Integer> counts) {
        return model.migTable().place(counts);
    }

    private static Map<String, Integer> counts(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return m;
    }

    @Test
    void legalityIsOccupancyBased() {
        MigProfileTable a30 = GpuModel.A30.migTable();
        assertThat(a30.violations(List.of(
                        at(GpuModel.A30, "2g.12gb", 0), at(GpuModel.A30, "1g.6gb", 2), at(GpuModel.A30, "1g.6gb", 3))))
                .isEmpty();
        assertThat(a30.violations(List.of(at(GpuModel.A30, "2g.12gb", 1))))
                .containsExactly("2g.12gb@1: start 1 is not legal (legal: 0, 2)");
        assertThat(a30.violations(List.of(at(GpuModel.A30, "2g.12gb", 0), at(GpuModel.A30, "1g.6gb", 1))))
                .containsExactly("1g.6gb@1: overlaps another instance at memory slice 1");
        assertThat(a30.violations(List.of(at(GpuModel.A30, "1g.6gb+me", 0), at(GpuModel.A30, "1g.6gb+me", 1))))
                .contains("more than 1 instance(s) of 1g.6gb+me");
        assertThat(a30.violations(List.of(at(GpuModel.A30, "1g.6gb+me", 0), at(GpuModel.A30, "2g.12gb+me", 2))))
                .containsExactly("more than one media-extension (+me) instance");
        MigProfileTable a100 = GpuModel.A100_40GB.migTable();
        assertThat(a100.violations(List.of(at(GpuModel.A100_40GB, "4g.20gb", 0), at(GpuModel.A100_40GB, "3g.20gb", 4))))
                .isEmpty();
        assertThat(a100.violations(List.of(at(GpuModel.A100_40GB, "4g.20gb", 4))))
                .isNotEmpty();
        assertThat(a100.violations(List.of(at(GpuModel.A100_40GB, "2g.10gb", 6))))
                .isNotEmpty();
        assertThat(a100.violations(List.of(at(GpuModel.A100_40GB, "1g.10gb", 6))))
                .isEmpty();
        assertThat(a100.violations(
                        List.of(at(GpuModel.A100_40GB, "1g.5gb+me", 0), at(GpuModel.A100_40GB, "1g.5gb", 1))))
                .isEmpty();
        assertThat(a100.violations(List.of(
                        at(GpuModel.A100_40GB, "4g.20gb", 0),
                        at(GpuModel.A100_40GB, "1g.10gb", 4),
                        at(GpuModel.A100_40GB, "2g.10gb", 4))))
                .containsExactly("2g.10gb@4: overlaps another instance at memory slice 4");
        assertThat(a100.violations(List.of(
                        at(GpuModel.A100_40GB, "4g.20gb", 0),
                        at(GpuModel.A100_40GB, "3g.20gb", 4),
                        at(GpuModel.A100_40GB, "1g.5gb", 0))))
                .containsExactly(
                        "1g.5gb@0: overlaps another instance at memory slice 0",
                        "uses 8 compute slices, more than the GPU's 7");
    }

    @Test
    void a30FullLayoutsArePlacedAtTheirSlots() {
        assertThat(placed(GpuModel.A30, counts("4g.24gb", 1))).containsExactly("4g.24gb@0");
        assertThat(placed(GpuModel.A30, counts("2g.12gb", 2))).containsExactly("2g.12gb@0", "2g.12gb@2");
        assertThat(placed(GpuModel.A30, counts("1g.6gb", 2, "2g.12gb", 1)))
                .containsExactly("1g.6gb@2", "1g.6gb@3", "2g.12gb@0");
        assertThat(placed(GpuModel.A30, counts("1g.6gb", 4)))
                .containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void whatTheHardwareRefusesIsRefused() {
        assertThat(place(GpuModel.A30, counts("1g.6gb", 5)).error()).contains("at most 4 x 1g.6gb");
        assertThat(place(GpuModel.A30, counts("2g.12gb", 3)).legal()).isFalse();
        assertThat(place(GpuModel.A30, counts("4g.24gb", 1, "1g.6gb", 1)).legal())
                .isFalse();
        assertThat(place(GpuModel.A30, counts("2g.12gb", 1, "1g.6gb", 3)).legal())
                .isFalse();
        assertThat(place(GpuModel.A30, counts("1g.6gb+me", 1, "2g.12gb+me", 1)).error())
                .contains("at most one instance with media extensions");
        assertThat(place(GpuModel.A30, counts("1g.6gb+me", 2)).legal()).isFalse();
        assertThat(place(GpuModel.A30, counts("3g.20gb", 1)).error())
                .isEqualTo("MIG profile 3g.20gb not found on this GPU (profiles: 1g.6gb, 1g.6gb+me, 2g.12gb, "
                        + "2g.12gb+me, 4g.24gb)");
        assertThat(place(GpuModel.A30, counts("1g.6gb", -1)).legal()).isFalse();
    }

    @Test
    void namesResolveAsMigPartedResolvesThem() {
        assertThat(placed(GpuModel.A30, counts("1c.1g.6gb", 2))).containsExactly("1g.6gb@0", "1g.6gb@1");
        assertThat(GpuModel.A30.migTable().matching("1g.6gb+me")).contains(GpuModel.A30.requireProfile("1g.6gb+me"));
        assertThat(GpuModel.A30.migTable().matching("1g.6gb-me")).isEmpty();
        assertThat(GpuModel.A30.migTable().matching("not a profile")).isEmpty();
    }

    @Test
    void mediaExtensionProfilesMixWithPlainOnes() {
        assertThat(placed(GpuModel.A30, counts("1g.6gb+me", 1, "1g.6gb", 3)))
                .containsExactly("1g.6gb+me@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(placed(GpuModel.A30, counts("2g.12gb+me", 1, "2g.12gb", 1)))
                .containsExactly("2g.12gb+me@0", "2g.12gb@2");
        assertThat(placed(GpuModel.A100_80GB, counts("1g.10gb+me", 1, "1g.10gb", 6)))
                .hasSize(7);
        assertThat(placed(GpuModel.H100_80GB, counts("1g.10gb+me", 1))).containsExactly("1g.10gb+me@0");
        assertThat(place(GpuModel.A100_40GB, counts("1g.5gb+me", 2)).legal()).isFalse();
    }

    @Test
    void a100BalancedNeedsAnotherCreationOrderThanLargestFirst() {
        // largest first (3g@0, 2g@4, 1g@6) leaves no slot for the second 1g; mig-parted then tries other orders
        assertThat(placed(GpuModel.A100_40GB, counts("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1)))
                .containsExactly("1g.5gb@2", "1g.5gb@3", "2g.10gb@0", "3g.20gb@4");
    }

    @Test
    void sevenSliceModelsFollowTheirPlacementTable() {
        assertThat(placed(GpuModel.A100_40GB, counts("1g.5gb", 7))).hasSize(7);
        assertThat(place(GpuModel.A100_40GB, counts("1g.5gb", 8)).legal()).isFalse();
        assertThat(placed(GpuModel.A100_40GB, counts("1g.10gb", 4)))
                .containsExactly("1g.10gb@0", "1g.10gb@2", "1g.10gb@4", "1g.10gb@6");
        assertThat(placed(GpuModel.A100_80GB, counts("3g.40gb", 2))).containsExactly("3g.40gb@0", "3g.40gb@4");
        assertThat(placed(GpuModel.H100_80GB, counts("4g.40gb", 1, "3g.40gb", 1)))
                .containsExactly("3g.40gb@4", "4g.40gb@0");
        assertThat(placed(GpuModel.H100_80GB, counts("2g.20gb", 3, "1g.10gb", 1)))
                .containsExactly("1g.10gb@6", "2g.20gb@0", "2g.20gb@2", "2g.20gb@4");
        assertThat(place(GpuModel.A100_80GB, counts("7g.80gb", 1, "1g.10gb", 1)).legal())
                .isFalse();
        assertThat(place(GpuModel.A100_80GB, counts("4g.40gb", 2)).legal()).isFalse();
        assertThat(place(GpuModel.A100_40GB, counts("3g.20gb", 2, "1g.5gb", 1)).legal())
                .isFalse();
    }

    @Test
    void everyDefaultConfigForAKnownModelFitsThatModel() {
        MigPartedConfig nvidia = MigPartedConfig.parse(NvidiaDefaultConfig.text());
        int checked = 0;
        for (GpuModel model : GpuModel.builtIns()) {
            PciDeviceId id = PciDeviceId.parse(model.pciDeviceId()).orElseThrow();
            for (String name : nvidia.configs().keySet()) {
                MigConfigSpec entry = nvidia.entryFor(name, 0, id).orElse(null);
                if (entry != null
                        && entry.migDevices().keySet().stream()
                                .allMatch(p -> model.migTable().matching(p).isPresent())) {
                    assertThat(model.migTable().place(entry.migDevices()).legal())
                            .as("%s on %s", name, model)
                            .isTrue();
                    checked++;
                }
            }
        }
        // per model: all-disabled, all-enabled, all-balanced and its all-<profile> configs (A30: 5; A100-40GB: 6
        // and its all-1g.10gb entry; A100-80GB and H100-80GB: 7 each, +me included)
        assertThat(checked).isEqualTo(8 + 10 + 10 + 10);
    }

    @Test
    void placementIsLegalExactlyWhenSomeNonOverlappingPackingExists() {
        for (GpuModel model : GpuModel.builtIns()) {
            for (Map<String, Integer> c : allCountCombinations(model)) {
                assertThat(model.migTable().place(c).legal())
                        .as("%s %s", model, c)
                        .isEqualTo(packable(model, c));
            }
        }
    }

    @Test
    void placedInstancesAreLegalTogether() {
        for (GpuModel model : GpuModel.builtIns()) {
            for (Map<String, Integer> c : allCountCombinations(model)) {
                MigProfileTable.Placement p = model.migTable().place(c);
                assertThat(model.migTable().violations(p.instances()))
                        .as("%s %s", model, c)
                        .isEmpty();
                assertThat(p.instances())
                        .hasSize(
                                p.legal()
                                        ? c.values().stream()
                                                .mapToInt(Integer::intValue)
                                                .sum()
                                        : 0);
            }
        }
    }

    /** A GPU no table here knows, as a node would report it: the same shape as gpu-models.yaml. */
    @Test
    void aReportedTableIsReadAndUsedLikeAKnownOne() throws Exception {
        String reported = """
                {"computeSlices": 7, "memorySlices": 8, "profiles": [
                  {"giProfileId": 19, "name": "1g.18gb", "computeSlices": 1, "memorySlices": 1, "multiprocessors": 16,
                   "maxCount": 7, "starts": [0, 1, 2, 3, 4, 5, 6]},
                  {"giProfileId": 14, "name": "2g.35gb", "computeSlices": 2, "memorySlices": 2, "multiprocessors": 32,
                   "maxCount": 3, "starts": [0, 2, 4]},
                  {"giProfileId": 9, "name": "3g.71gb", "computeSlices": 3, "memorySlices": 4, "multiprocessors": 60,
                   "maxCount": 2, "starts": [0, 4]}]}
                """;
        MigProfileTable h200 = JsonMapper.builder().build().readValue(reported, MigProfileTable.class);

        assertThat(h200.names()).isEqualTo("1g.18gb, 2g.35gb, 3g.71gb");
        MigConfigSpec balanced = MigPartedConfig.parse(NvidiaDefaultConfig.text())
                .entryFor("all-balanced", 0, PciDeviceId.parse("0x233510DE").orElseThrow())
                .orElseThrow();
        assertThat(h200.place(balanced.migDevices()).instances())
                .extracting(GpuInstance::toString)
                .containsExactlyInAnyOrder("3g.71gb@4", "2g.35gb@0", "1g.18gb@2", "1g.18gb@3");
        assertThat(h200.profileWithId(14).orElseThrow().memoryGiB()).isEqualTo(35);
    }

    @Test
    void aTableThatCannotBeRightIsRefused() {
        MigProfile one = new MigProfile(19, "1g.5gb", 1, 1, 14, 7, List.of(0, 1, 2, 3, 4, 5, 6));
        assertThatThrownBy(() -> new MigProfileTable(7, 4, List.of(one))).hasMessageContaining("would leave");
        assertThatThrownBy(() -> new MigProfileTable(7, 8, List.of(one, one))).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> new MigProfileTable(7, 8, List.of())).hasMessageContaining("at least one profile");
        assertThatThrownBy(() -> new MigProfile(19, "2g.5gb", 1, 1, 14, 7, List.of(0)))
                .hasMessageContaining("its name says 2");
        assertThatThrownBy(() -> new MigProfile(19, "1c.2g.10gb", 2, 2, 14, 1, List.of(0)))
                .hasMessageContaining("compute instance");
        assertThatThrownBy(() -> new MigProfile(19, "1g.5gb", 1, 1, 14, 1, List.of()))
                .hasMessageContaining("no placement");
    }

    /** Every count vector within each profile's maximum. */
    private static List<Map<String, Integer>> allCountCombinations(GpuModel model) {
        List<Map<String, Integer>> result = new ArrayList<>();
        result.add(new LinkedHashMap<>());
        for (MigProfile p : model.profiles()) {
            List<Map<String, Integer>> next = new ArrayList<>();
            for (Map<String, Integer> partial : result) {
                for (int n = 0; n <= p.maxCount(); n++) {
                    Map<String, Integer> m = new LinkedHashMap<>(partial);
                    if (n > 0) {
                        m.put(p.name(), n);
                    }
                    next.add(m);
                }
            }
            result = next;
        }
        return result;
    }

    /** Independent oracle: backtracking over explicit (profile, start) placements. */
    private static boolean packable(GpuModel model, Map<String, Integer> counts) {
        List<MigProfile> wanted = new ArrayList<>();
        counts.forEach((name, n) -> {
            for (int i = 0; i < n; i++) {
                wanted.add(model.requireProfile(name));
            }
        });
        if (wanted.stream().filter(MigProfile::mediaExtensions).count() > 1
                || wanted.stream().mapToInt(MigProfile::computeSlices).sum() > model.computeSlices()) {
            return false;
        }
        return pack(wanted, 0, new boolean[model.memorySlices()]);
    }

    private static boolean pack(List<MigProfile> wanted, int i, boolean[] used) {
        if (i == wanted.size()) {
            return true;
        }
        MigProfile p = wanted.get(i);
        for (int s : p.starts()) {
            boolean free = true;
            for (int k = s; k < s + p.memorySlices(); k++) {
                free &= !used[k];
            }
            if (free) {
                for (int k = s; k < s + p.memorySlices(); k++) {
                    used[k] = true;
                }
                if (pack(wanted, i + 1, used)) {
                    return true;
                }
                for (int k = s; k < s + p.memorySlices(); k++) {
                    used[k] = false;
                }
            }
        }
        return false;
    }
}
