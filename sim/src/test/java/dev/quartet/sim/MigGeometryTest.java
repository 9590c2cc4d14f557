package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each GPU model accepts, checked against NVIDIA's profile tables and an exhaustive packing oracle. */
class MigGeometryTest {

    private static List<String> placed(GpuModel model, Map<String, Integer> counts) {
        MigGeometry.Placement p = MigGeometry.place(model, counts);
        assertThat(p.legal()).as("legal: %s (%s)", counts, p.error()).isTrue();
        return p.instances().stream().map(MigInstance::toString).sorted().toList();
    }

    private static Map<String, Integer> counts(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return m;
    }

    @Test
    void a30FullLayoutsFromMigFactsArePlacedAtTheirSlots() {
        assertThat(placed(GpuModel.A30, counts("4g.24gb", 1))).containsExactly("4g.24gb@0");
        assertThat(placed(GpuModel.A30, counts("2g.12gb", 2))).containsExactly("2g.12gb@0", "2g.12gb@2");
        assertThat(placed(GpuModel.A30, counts("1g.6gb", 2, "2g.12gb", 1)))
                .containsExactly("1g.6gb@2", "1g.6gb@3", "2g.12gb@0");
        assertThat(placed(GpuModel.A30, counts("1g.6gb", 4)))
                .containsExactly("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
    }

    @Test
    void a30RejectsWhatTheHardwareRejects() {
        assertThat(MigGeometry.place(GpuModel.A30, counts("1g.6gb", 5)).error()).contains("at most 4 x 1g.6gb");
        assertThat(MigGeometry.place(GpuModel.A30, counts("2g.12gb", 3)).legal())
                .isFalse();
        assertThat(MigGeometry.place(GpuModel.A30, counts("4g.24gb", 1, "1g.6gb", 1))
                        .legal())
                .isFalse();
        assertThat(MigGeometry.place(GpuModel.A30, counts("2g.12gb", 1, "1g.6gb", 3))
                        .legal())
                .isFalse();
        assertThat(MigGeometry.place(GpuModel.A30, counts("1g.6gb+me", 1, "2g.12gb+me", 1))
                        .error())
                .contains("at most one +me");
        assertThat(MigGeometry.place(GpuModel.A30, counts("1g.6gb+me", 2)).legal())
                .isFalse();
        assertThat(MigGeometry.place(GpuModel.A30, counts("3g.20gb", 1)).error())
                .contains("does not exist on A30");
    }

    @Test
    void mediaExtensionProfilesMixWithPlainOnes() {
        assertThat(placed(GpuModel.A30, counts("1g.6gb+me", 1, "1g.6gb", 3)))
                .containsExactly("1g.6gb+me@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3");
        assertThat(placed(GpuModel.A30, counts("2g.12gb+me", 1, "2g.12gb", 1)))
                .containsExactly("2g.12gb+me@0", "2g.12gb@2");
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
        assertThat(MigGeometry.place(GpuModel.A100_40GB, counts("1g.5gb", 8)).legal())
                .isFalse();
        assertThat(placed(GpuModel.A100_40GB, counts("1g.10gb", 4)))
                .containsExactly("1g.10gb@0", "1g.10gb@2", "1g.10gb@4", "1g.10gb@6");
        assertThat(placed(GpuModel.A100_80GB, counts("3g.40gb", 2))).containsExactly("3g.40gb@0", "3g.40gb@4");
        assertThat(placed(GpuModel.H100_80GB, counts("4g.40gb", 1, "3g.40gb", 1)))
                .containsExactly("3g.40gb@4", "4g.40gb@0");
        assertThat(placed(GpuModel.H100_80GB, counts("2g.20gb", 3, "1g.10gb", 1)))
                .containsExactly("1g.10gb@6", "2g.20gb@0", "2g.20gb@2", "2g.20gb@4");
        assertThat(MigGeometry.place(GpuModel.A100_80GB, counts("7g.80gb", 1, "1g.10gb", 1))
                        .legal())
                .isFalse();
        assertThat(MigGeometry.place(GpuModel.A100_80GB, counts("4g.40gb", 2)).legal())
                .isFalse();
        assertThat(MigGeometry.place(GpuModel.A100_40GB, counts("3g.20gb", 2, "1g.5gb", 1))
                        .legal())
                .isFalse();
    }

    @Test
    void placementIsLegalExactlyWhenSomeNonOverlappingPackingExists() {
        for (GpuModel model : GpuModel.values()) {
            for (Map<String, Integer> c : allCountCombinations(model)) {
                boolean oracle = packable(model, c);
                assertThat(MigGeometry.place(model, c).legal())
                        .as("%s %s", model, c)
                        .isEqualTo(oracle);
            }
        }
    }

    @Test
    void placedInstancesNeverOverlapAndUseLegalStarts() {
        for (GpuModel model : GpuModel.values()) {
            for (Map<String, Integer> c : allCountCombinations(model)) {
                MigGeometry.Placement p = MigGeometry.place(model, c);
                for (MigInstance a : p.instances()) {
                    assertThat(a.profile().starts()).contains(a.start());
                    for (MigInstance b : p.instances()) {
                        if (a != b) {
                            assertThat(a.overlaps(b.start(), b.profile().memorySlices()))
                                    .as("%s vs %s", a, b)
                                    .isFalse();
                        }
                    }
                }
            }
        }
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
                wanted.add(model.profile(name).orElseThrow());
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
