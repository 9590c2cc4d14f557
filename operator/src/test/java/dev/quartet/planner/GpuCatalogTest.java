package dev.quartet.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GpuCatalogTest {

    /** id name slices compute max starts, exactly as NVIDIA's MIG user guide lists them (nvidia-smi mig -lgip). */
    private static String table(GpuModel model) {
        return GpuCatalog.profiles(model).stream()
                .map(p -> p.giProfileId() + " " + p.name() + " " + p.memorySlices() + " " + p.computeSlices() + " "
                        + p.maxCount() + " " + p.starts() + (p.mediaExtension() ? " me" : "") + " " + p.memoryGiB())
                .collect(Collectors.joining("\n"));
    }

    @Test
    void a30ProfilesMatchTheFacts() {
        assertThat(table(GpuModel.A30)).isEqualTo("""
                14 1g.6gb 1 1 4 [0, 1, 2, 3] 6
                21 1g.6gb+me 1 1 1 [0, 1, 2, 3] me 6
                5 2g.12gb 2 2 2 [0, 2] 12
                6 2g.12gb+me 2 2 1 [0, 2] me 12
                0 4g.24gb 4 4 1 [0] 24""");
    }

    @Test
    void eightSliceModelsShareGiIdsAndPlacements() {
        assertThat(table(GpuModel.A100_40GB)).isEqualTo("""
                19 1g.5gb 1 1 7 [0, 1, 2, 3, 4, 5, 6] 5
                15 1g.10gb 2 1 4 [0, 2, 4, 6] 10
                14 2g.10gb 2 2 3 [0, 2, 4] 10
                9 3g.20gb 4 3 2 [0, 4] 20
                5 4g.20gb 4 4 1 [0] 20
                0 7g.40gb 8 7 1 [0] 40""");
        String eighty = """
                19 1g.10gb 1 1 7 [0, 1, 2, 3, 4, 5, 6] 10
                15 1g.20gb 2 1 4 [0, 2, 4, 6] 20
                14 2g.20gb 2 2 3 [0, 2, 4] 20
                9 3g.40gb 4 3 2 [0, 4] 40
                5 4g.40gb 4 4 1 [0] 40
                0 7g.80gb 8 7 1 [0] 80""";
        assertThat(table(GpuModel.A100_80GB)).isEqualTo(eighty);
        assertThat(table(GpuModel.H100_80GB)).isEqualTo(eighty);
        assertThat(GpuCatalog.memorySlots(GpuModel.H100_80GB)).isEqualTo(8);
        assertThat(GpuCatalog.memorySlots(GpuModel.A30)).isEqualTo(4);
    }

    @Test
    void modelsParseFromDisplayNamesAndProductLabels() {
        assertThat(GpuModel.parse("A100-80GB")).isEqualTo(GpuModel.A100_80GB);
        assertThat(GpuModel.parse("H100_80GB")).isEqualTo(GpuModel.H100_80GB);
        assertThatThrownBy(() -> GpuModel.parse("V100"))
                .hasMessage("unknown GPU model 'V100' (legal: A30, A100-40GB, A100-80GB, H100-80GB)");
        assertThat(GpuModel.fromProductLabel("NVIDIA-A30")).contains(GpuModel.A30);
        assertThat(GpuModel.fromProductLabel("NVIDIA-A100-SXM4-40GB")).contains(GpuModel.A100_40GB);
        assertThat(GpuModel.fromProductLabel("NVIDIA-A100-PCIE-40GB")).contains(GpuModel.A100_40GB);
        assertThat(GpuModel.fromProductLabel("NVIDIA-A100-SXM4-80GB")).contains(GpuModel.A100_80GB);
        assertThat(GpuModel.fromProductLabel("NVIDIA-A100-80GB-PCIe")).contains(GpuModel.A100_80GB);
        assertThat(GpuModel.fromProductLabel("NVIDIA-H100-80GB-HBM3")).contains(GpuModel.H100_80GB);
        assertThat(GpuModel.fromProductLabel("NVIDIA-H100-PCIe")).contains(GpuModel.H100_80GB);
        assertThat(GpuModel.fromProductLabel("NVIDIA-V100-SXM2-16GB")).isEmpty();
    }

    @Test
    void profilesByNameWithResourceNames() {
        assertThat(GpuCatalog.profile(GpuModel.A30, "1g.6gb+me").resourceName()).isEqualTo("nvidia.com/mig-1g.6gb.me");
        assertThat(GpuCatalog.profile(GpuModel.A100_40GB, "3g.20gb").resourceName())
                .isEqualTo("nvidia.com/mig-3g.20gb");
        assertThatThrownBy(() -> GpuCatalog.profile(GpuModel.A30, "1g.5gb"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown profile '1g.5gb' for A30 (legal: 1g.6gb, "
                        + "1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb)");
    }

    @Test
    void smallestFittingProfilePerModel() {
        assertThat(GpuCatalog.smallestFitting(GpuModel.A30, 10))
                .map(MigProfile::name)
                .contains("2g.12gb");
        assertThat(GpuCatalog.smallestFitting(GpuModel.A30, 6))
                .map(MigProfile::name)
                .contains("1g.6gb");
        assertThat(GpuCatalog.smallestFitting(GpuModel.A30, 25)).isEmpty();
        assertThat(GpuCatalog.smallestFitting(GpuModel.A100_40GB, 10))
                .map(MigProfile::name)
                .contains("1g.10gb");
        assertThat(GpuCatalog.smallestFitting(GpuModel.A100_40GB, 20))
                .map(MigProfile::name)
                .contains("3g.20gb");
        assertThat(GpuCatalog.smallestFitting(GpuModel.A100_80GB, 10))
                .map(MigProfile::name)
                .contains("1g.10gb");
        assertThat(GpuCatalog.smallestFitting(GpuModel.H100_80GB, 41))
                .map(MigProfile::name)
                .contains("7g.80gb");
    }

    @Test
    void legalityIsOccupancyBased() {
        assertThat(GpuCatalog.isLegal(
                        GpuModel.A30,
                        List.of(new Instance("2g.12gb", 0), new Instance("1g.6gb", 2), new Instance("1g.6gb", 3))))
                .isTrue();
        assertThat(GpuCatalog.violations(GpuModel.A30, List.of(new Instance("2g.12gb", 1))))
                .containsExactly("2g.12gb@1: start 1 is not legal (legal: 0, 2)");
        assertThat(GpuCatalog.violations(GpuModel.A30, List.of(new Instance("2g.12gb", 0), new Instance("1g.6gb", 1))))
                .containsExactly("1g.6gb@1: overlaps another instance at memory slice 1");
        assertThat(GpuCatalog.violations(
                        GpuModel.A30, List.of(new Instance("1g.6gb+me", 0), new Instance("1g.6gb+me", 1))))
                .contains("more than 1 instance(s) of 1g.6gb+me");
        assertThat(GpuCatalog.violations(
                        GpuModel.A30, List.of(new Instance("1g.6gb+me", 0), new Instance("2g.12gb+me", 2))))
                .containsExactly("more than one media-extension (+me) instance");
        assertThat(GpuCatalog.isLegal(
                        GpuModel.A100_40GB, List.of(new Instance("4g.20gb", 0), new Instance("3g.20gb", 4))))
                .isTrue();
        assertThat(GpuCatalog.isLegal(GpuModel.A100_40GB, List.of(new Instance("4g.20gb", 4))))
                .isFalse();
        assertThat(GpuCatalog.isLegal(GpuModel.A100_40GB, List.of(new Instance("2g.10gb", 6))))
                .isFalse();
        assertThat(GpuCatalog.isLegal(GpuModel.A100_40GB, List.of(new Instance("1g.10gb", 6))))
                .isTrue();
    }
}
