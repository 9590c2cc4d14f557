package dev.quartet.planner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.ReportedH200;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LayoutCatalogTest {

    private static Set<String> fullLayoutsWithout(GpuModel model, String excluded) {
        LayoutCatalog catalog = LayoutCatalog.of(model);
        return catalog.fullLayouts().stream()
                .map(l -> l.instances(catalog))
                .filter(l -> l.stream().noneMatch(i -> i.profile().contains(excluded)))
                .map(List::toString)
                .collect(Collectors.toSet());
    }

    @Test
    void theFiveFullA30LayoutsWithoutMediaExtensions() {
        assertThat(fullLayoutsWithout(GpuModel.A30, "+me"))
                .containsExactlyInAnyOrder(
                        "[4g.24gb@0]",
                        "[2g.12gb@0, 2g.12gb@2]",
                        "[2g.12gb@0, 1g.6gb@2, 1g.6gb@3]",
                        "[1g.6gb@0, 1g.6gb@1, 2g.12gb@2]",
                        "[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
    }

    @Test
    void fragmentationTrapLeavesNoRoomForA2g() {
        LayoutCatalog catalog = LayoutCatalog.of(GpuModel.A30);
        LayoutShape trap = catalog.shapeOf(List.of(new Instance("1g.6gb", 1), new Instance("1g.6gb", 2)));
        int twoG = catalog.indexOf("2g.12gb");
        assertThat(catalog.canAdd(trap, twoG, 0)).isFalse();
        assertThat(catalog.canAdd(trap, twoG, 2)).isFalse();
        assertThat(catalog.isFull(trap)).isFalse();
        assertThat(catalog.plus(trap.code(), twoG))
                .as("as a multiset a 2g would still fit")
                .isNotNegative();
    }

    @Test
    void multisetsThatNoStartSlotsCanHold() {
        LayoutCatalog catalog = LayoutCatalog.of(GpuModel.A100_40GB);
        int twoG = catalog.indexOf("2g.10gb");
        int oneG = catalog.indexOf("1g.5gb");
        int code = 0;
        for (int i = 0; i < 3; i++) {
            code = catalog.plus(code, twoG);
        }
        assertThat(catalog.plus(code, oneG)).isNotNegative();
        assertThat(catalog.plus(catalog.plus(code, oneG), oneG))
                .as("1g.5gb cannot start at slice 7")
                .isNegative();
        assertThat(catalog.plus(code, twoG)).as("at most three 2g.10gb").isNegative();
        int fourG = catalog.indexOf("4g.20gb");
        int threeG = catalog.indexOf("3g.20gb");
        assertThat(catalog.plus(catalog.plus(0, fourG), threeG)).isNotNegative();
        assertThat(catalog.plus(catalog.plus(catalog.plus(0, fourG), threeG), oneG))
                .isNegative();
    }

    @Test
    void sevenOneSliceInstancesCannotCoverSliceSevenButSixAndA1g10gbCan() {
        LayoutCatalog catalog = LayoutCatalog.of(GpuModel.A100_40GB);
        int oneG = catalog.indexOf("1g.5gb");
        int[] counts = new int[catalog.profileCount()];
        counts[oneG] = 7;
        assertThat(catalog.bestCover(catalog.codeOf(counts)))
                .as("seven compute slices, seven memory slices")
                .isEqualTo(7);
        counts[oneG] = 6;
        assertThat(catalog.bestCover(catalog.codeOf(counts)))
                .as("a 1g.10gb at slice 6 fills the rest")
                .isEqualTo(8);
        counts[oneG] = 8;
        assertThat(catalog.codeOf(counts)).as("more than the profile's maximum").isNegative();
        LayoutCatalog a30 = LayoutCatalog.of(GpuModel.A30);
        assertThat(a30.bestCover(a30.plus(0, a30.indexOf("1g.6gb")))).isEqualTo(4);
    }

    @Test
    void everyFullLayoutIsLegalAndFull() {
        for (GpuModel model : GpuModel.builtIns()) {
            LayoutCatalog catalog = LayoutCatalog.of(model);
            assertThat(catalog.fullLayouts()).isNotEmpty();
            for (LayoutShape layout : catalog.fullLayouts()) {
                assertThat(LayoutCatalog.isLegal(model, layout.instances(catalog)))
                        .isTrue();
            }
            assertThat(catalog.legalLayouts())
                    .hasSizeGreaterThan(catalog.fullLayouts().size());
        }
    }

    @Test
    void aLayoutIsJudgedByTheModelsProfilesAndTheHardwaresRules() {
        assertThat(LayoutCatalog.violations(
                        GpuModel.A30, List.of(new Instance("1g.5gb", 0), new Instance("2g.12gb", 1))))
                .containsExactly(
                        "unknown profile '1g.5gb' for A30 (legal: 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb)",
                        "2g.12gb@1: start 1 is not legal (legal: 0, 2)");
        assertThat(LayoutCatalog.isLegal(
                        GpuModel.A30,
                        List.of(new Instance("2g.12gb", 0), new Instance("1g.6gb", 2), new Instance("1g.6gb", 3))))
                .isTrue();
        assertThat(LayoutCatalog.isLegal(
                        GpuModel.H100_80GB, List.of(new Instance("1g.10gb+me", 6), new Instance("7g.80gb", 0))))
                .isFalse();
    }

    @Test
    void aModelRegisteredAtRunTimeGetsItsCatalogOnFirstUseOnceForAllThreads() throws Exception {
        GpuModel h200 =
                GpuModel.ofReported(ReportedH200.PRODUCT, ReportedH200.migTable(), (int) ReportedH200.MEMORY_MIB);

        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<LayoutCatalog>> built = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                built.add(pool.submit(() -> LayoutCatalog.of(h200)));
            }
            LayoutCatalog catalog = LayoutCatalog.of(h200);
            for (java.util.concurrent.Future<LayoutCatalog> f : built) {
                assertThat(f.get()).isSameAs(catalog);
            }
            // the H200's geometry is the H100's (7 compute, 8 memory slices, the same GI profiles and placements),
            // so it has as many legal and full layouts, under its own names
            LayoutCatalog h100 = LayoutCatalog.of(GpuModel.H100_80GB);
            assertThat(catalog.model()).isSameAs(h200);
            assertThat(catalog.legalLayouts()).hasSameSizeAs(h100.legalLayouts());
            assertThat(catalog.fullLayouts()).hasSameSizeAs(h100.fullLayouts());
            assertThat(catalog.codeSpace()).isEqualTo(h100.codeSpace());
            assertThat(LayoutCatalog.of(GpuModel.A30)).isSameAs(LayoutCatalog.of(GpuModel.A30));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTableTheCatalogCannotEnumerateIsRefusedWithWhy() {
        List<dev.quartet.nvidia.MigProfile> nine = new java.util.ArrayList<>();
        for (int g = 1; g <= 7; g++) {
            nine.add(new dev.quartet.nvidia.MigProfile(g, g + "g." + g + "gb", g, 1, 1, 1, List.of(0)));
        }
        nine.add(new dev.quartet.nvidia.MigProfile(20, "1g.1gb+me", 1, 1, 1, 1, List.of(0)));
        nine.add(new dev.quartet.nvidia.MigProfile(21, "1g.1gb+gfx", 1, 1, 1, 1, List.of(0)));

        assertThat(LayoutCatalog.problem(new dev.quartet.nvidia.MigProfileTable(7, 8, nine)))
                .isEqualTo("its MIG table has 9 profiles, Quartet plans at most 8");
        assertThat(LayoutCatalog.problem(ReportedH200.migTable())).isNull();
    }
}
