package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The known models' facts, row by row as NVIDIA's MIG user guide and docs/MIG-FACTS.md give them. */
class GpuModelTest {

    /** GI id, name, memory slices, compute slices, maximum count, starts, +me, GiB, SMs. */
    private static String table(GpuModel model) {
        return model.profiles().stream()
                .map(p -> p.giProfileId() + " " + p.name() + " " + p.memorySlices() + " " + p.computeSlices() + " "
                        + p.maxCount() + " " + p.starts() + (p.mediaExtensions() ? " me" : "") + " " + p.memoryGiB()
                        + " " + p.multiprocessors())
                .collect(Collectors.joining("\n"));
    }

    @Test
    void a30() {
        assertThat(table(GpuModel.A30)).isEqualTo("""
                14 1g.6gb 1 1 4 [0, 1, 2, 3] 6 14
                21 1g.6gb+me 1 1 1 [0, 1, 2, 3] me 6 14
                5 2g.12gb 2 2 2 [0, 2] 12 28
                6 2g.12gb+me 2 2 1 [0, 2] me 12 28
                0 4g.24gb 4 4 1 [0] 24 56""");
        assertThat(GpuModel.A30.memorySlices()).isEqualTo(4);
        assertThat(GpuModel.A30.computeSlices()).isEqualTo(4);
        assertThat(GpuModel.A30.pciDeviceId()).isEqualTo("0x20B710DE");
        assertThat(GpuModel.A30.product()).isEqualTo("NVIDIA-A30");
        assertThat(GpuModel.A30.memoryMiB()).isEqualTo(24576);
    }

    @Test
    void a100AndH100ShareGiIdsAndPlacementsWithTheirOwnNamesAndOneMediaExtensionProfile() {
        assertThat(table(GpuModel.A100_40GB)).isEqualTo("""
                19 1g.5gb 1 1 7 [0, 1, 2, 3, 4, 5, 6] 5 14
                20 1g.5gb+me 1 1 1 [0, 1, 2, 3, 4, 5, 6] me 5 14
                15 1g.10gb 2 1 4 [0, 2, 4, 6] 10 14
                14 2g.10gb 2 2 3 [0, 2, 4] 10 28
                9 3g.20gb 4 3 2 [0, 4] 20 42
                5 4g.20gb 4 4 1 [0] 20 56
                0 7g.40gb 8 7 1 [0] 40 98""");
        assertThat(table(GpuModel.A100_80GB)).isEqualTo("""
                19 1g.10gb 1 1 7 [0, 1, 2, 3, 4, 5, 6] 10 14
                20 1g.10gb+me 1 1 1 [0, 1, 2, 3, 4, 5, 6] me 10 14
                15 1g.20gb 2 1 4 [0, 2, 4, 6] 20 14
                14 2g.20gb 2 2 3 [0, 2, 4] 20 28
                9 3g.40gb 4 3 2 [0, 4] 40 42
                5 4g.40gb 4 4 1 [0] 40 56
                0 7g.80gb 8 7 1 [0] 80 98""");
        assertThat(table(GpuModel.H100_80GB)).isEqualTo("""
                19 1g.10gb 1 1 7 [0, 1, 2, 3, 4, 5, 6] 10 16
                20 1g.10gb+me 1 1 1 [0, 1, 2, 3, 4, 5, 6] me 10 16
                15 1g.20gb 2 1 4 [0, 2, 4, 6] 20 16
                14 2g.20gb 2 2 3 [0, 2, 4] 20 32
                9 3g.40gb 4 3 2 [0, 4] 40 60
                5 4g.40gb 4 4 1 [0] 40 64
                0 7g.80gb 8 7 1 [0] 80 132""");
        for (GpuModel model : new GpuModel[] {GpuModel.A100_40GB, GpuModel.A100_80GB, GpuModel.H100_80GB}) {
            assertThat(model.memorySlices()).isEqualTo(8);
            assertThat(model.computeSlices()).isEqualTo(7);
        }
    }

    @Test
    void modelsAreFoundByNameProductLabelAndPciId() {
        assertThat(GpuModel.parse("A100-80GB")).isEqualTo(GpuModel.A100_80GB);
        assertThat(GpuModel.parse("H100_80GB")).isEqualTo(GpuModel.H100_80GB);
        assertThat(GpuModel.parse("a30")).isEqualTo(GpuModel.A30);
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
        assertThat(GpuModel.fromProductLabel(null)).isEmpty();
        assertThat(GpuModel.fromPciDeviceId(PciDeviceId.parse("0x20b710de").orElseThrow()))
                .contains(GpuModel.A30);
        assertThat(GpuModel.fromPciDeviceId(PciDeviceId.parse("0x20F610DE").orElseThrow()))
                .contains(GpuModel.A100_40GB);
        assertThat(GpuModel.fromPciDeviceId(PciDeviceId.parse("0x232410DE").orElseThrow()))
                .contains(GpuModel.H100_80GB);
        assertThat(GpuModel.fromPciDeviceId(PciDeviceId.parse("0x290110DE").orElseThrow()))
                .isEmpty();
    }

    @Test
    void theDefaultConfigsDeviceFiltersNameTheSamePciIds() {
        MigPartedConfig nvidia = MigPartedConfig.parse(NvidiaDefaultConfig.text());
        // the balanced entry of each model lists exactly the ids sold as that model (the 80GB entry lists both)
        assertThat(nvidia.config("all-balanced").orElseThrow())
                .anySatisfy(e -> assertThat(e.deviceFilter()).containsExactlyElementsOf(GpuModel.A30.pciDeviceIds()))
                .anySatisfy(
                        e -> assertThat(e.deviceFilter()).containsExactlyElementsOf(GpuModel.A100_40GB.pciDeviceIds()))
                .anySatisfy(e -> assertThat(e.deviceFilter())
                        .containsAll(GpuModel.A100_80GB.pciDeviceIds())
                        .containsAll(GpuModel.H100_80GB.pciDeviceIds())
                        .hasSize(8));
    }

    @Test
    void profilesAreFoundByExactNameOrRefusedWithTheLegalOnes() {
        assertThat(GpuModel.A30.requireProfile("1g.6gb+me").resourceName()).isEqualTo("nvidia.com/mig-1g.6gb.me");
        assertThat(GpuModel.A100_40GB.requireProfile("3g.20gb").resourceName()).isEqualTo("nvidia.com/mig-3g.20gb");
        assertThatThrownBy(() -> GpuModel.A30.requireProfile("1g.5gb"))
                .hasMessage(
                        "unknown profile '1g.5gb' for A30 (legal: 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb)");
        assertThat(GpuModel.A30.profile("1c.1g.6gb")).isEmpty();
        assertThat(GpuModel.anyHasProfile("1g.10gb+me")).isTrue();
        assertThat(GpuModel.anyHasProfile("1g.24gb")).isFalse();
    }
}
