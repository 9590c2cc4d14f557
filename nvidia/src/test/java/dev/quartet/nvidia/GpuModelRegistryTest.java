package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Models known only at run time: interned, with ordinals that never change, and invisible to the lookups that
 * recognise a node by its labels. The registry is one per JVM and append-only, so each test uses products of its own.
 */
class GpuModelRegistryTest {

    /** A table with {@code computeSlices} 1g profiles, named {@code 1g.<gb>gb}: distinct tables for distinct gb. */
    private static MigProfileTable small(int gb) {
        return new MigProfileTable(2, 2, List.of(new MigProfile(19, "1g." + gb + "gb", 1, 1, 8, 2, List.of(0, 1))));
    }

    @Test
    void theBuiltInModelsComeFirstInTheirOrder() {
        assertThat(GpuModel.builtIns())
                .containsExactly(GpuModel.A30, GpuModel.A100_40GB, GpuModel.A100_80GB, GpuModel.H100_80GB);
        assertThat(GpuModel.builtIns()).extracting(GpuModel::ordinal).containsExactly(0, 1, 2, 3);
        assertThat(GpuModel.builtIns())
                .extracting(GpuModel::name)
                .containsExactly("A30", "A100_40GB", "A100_80GB", "H100_80GB");
        assertThat(GpuModel.builtIns()).allMatch(GpuModel::isBuiltIn);
        assertThat(GpuModel.values())
                .startsWith(GpuModel.A30, GpuModel.A100_40GB, GpuModel.A100_80GB, GpuModel.H100_80GB);
    }

    @Test
    void aReportedModelIsInternedByProductTableAndMemory() {
        GpuModel h200 = GpuModel.ofReported(ReportedH200.PRODUCT, ReportedH200.migTable(), 143771);

        assertThat(GpuModel.ofReported(ReportedH200.PRODUCT, ReportedH200.migTable(), 143771))
                .isSameAs(h200);
        assertThat(h200.isBuiltIn()).isFalse();
        assertThat(h200.displayName()).isEqualTo("H200");
        assertThat(h200.name()).isEqualTo("H200");
        assertThat(h200.product()).isEqualTo("NVIDIA-H200");
        assertThat(h200.memoryMiB()).isEqualTo(143771);
        assertThat(h200.pciDeviceIds()).isEmpty();
        assertThatThrownBy(h200::pciDeviceId).hasMessageContaining("without a PCI device id");
        assertThat(h200.profileNames()).isEqualTo("1g.18gb, 1g.18gb+me, 1g.35gb, 2g.35gb, 3g.71gb, 4g.71gb, 7g.141gb");
        assertThat(h200.requireProfile("1g.18gb").memorySlices()).isEqualTo(1);
        assertThat(GpuModel.values()[h200.ordinal()]).isSameAs(h200);
        assertThat(h200.ordinal()).isGreaterThanOrEqualTo(GpuModel.builtIns().size());
    }

    @Test
    void anotherTableOfTheSameProductIsAnotherModelWithANumberedName() {
        GpuModel first = GpuModel.ofReported("NVIDIA Test X1", small(11), 4096);
        GpuModel second = GpuModel.ofReported("NVIDIA Test X1", small(12), 4096);
        GpuModel otherMemory = GpuModel.ofReported("NVIDIA Test X1", small(11), 8192);

        assertThat(second).isNotSameAs(first);
        assertThat(otherMemory).isNotSameAs(first).isNotSameAs(second);
        assertThat(first.displayName()).isEqualTo("Test-X1");
        assertThat(second.displayName()).isEqualTo("Test-X1#2");
        assertThat(otherMemory.displayName()).isEqualTo("Test-X1#3");
        assertThat(List.of(first.ordinal(), second.ordinal(), otherMemory.ordinal()))
                .isSorted()
                .doesNotHaveDuplicates();
    }

    @Test
    void ordinalsNeverChangeAndValuesIsASnapshot() {
        GpuModel[] before = GpuModel.values();
        GpuModel x2 = GpuModel.ofReported("NVIDIA Test X2", small(13), 4096);

        GpuModel[] after = GpuModel.values();
        assertThat(after).hasSizeGreaterThan(before.length).startsWith(before);
        assertThat(after[x2.ordinal()]).isSameAs(x2);
        for (int i = 0; i < before.length; i++) {
            assertThat(before[i].ordinal()).isEqualTo(i);
        }
        before[0] = null; // a copy: the registry is not changed through it
        assertThat(GpuModel.values()[0]).isSameAs(GpuModel.A30);
    }

    @Test
    void labelLookupsAnswerOnlyWithBuiltInModels() {
        GpuModel x3 = GpuModel.ofReported("NVIDIA Test X3", small(14), 4096);
        GpuSpec spec = new GpuSpec(
                "Test-X3-SIM", List.of("NVIDIA-Test-X3-SIM"), List.of("0x2FFF10DE"), 4096, "hopper", 9, 0, small(15));
        GpuModel simulated = GpuModel.register(spec);

        assertThat(GpuModel.register(spec)).isSameAs(simulated);
        assertThat(GpuModel.fromProductLabel(x3.product())).isEmpty();
        assertThat(GpuModel.fromProductLabel("NVIDIA-Test-X3-SIM")).isEmpty();
        assertThat(GpuModel.fromPciDeviceId(PciDeviceId.parse("0x2FFF10DE").orElseThrow()))
                .isEmpty();
        assertThatThrownBy(() -> GpuModel.parse("Test-X3")).hasMessageStartingWith("unknown GPU model 'Test-X3'");
        assertThatThrownBy(() -> GpuModel.parse("Test-X3-SIM")).hasMessageContaining("unknown GPU model");
        assertThat(GpuModel.anyHasProfile("1g.14gb")).isFalse();
        assertThat(GpuModel.legalNames()).isEqualTo("A30, A100-40GB, A100-80GB, H100-80GB");
        assertThat(simulated.pciDeviceId()).isEqualTo("0x2FFF10DE");
    }

    @Test
    void aSpecNamedLikeAnotherModelIsRefused() {
        GpuSpec a30 = GpuModel.A30.spec();
        GpuSpec copy = new GpuSpec("a30", a30.products(), a30.pciDeviceIds(), 1, a30.family(), 8, 0, a30.mig());

        assertThatThrownBy(() -> GpuModel.register(copy)).hasMessageContaining("registered already");
    }

    @Test
    void theShortNameDropsNvidiaAndWritesSpacesAsDashes() {
        assertThat(GpuModel.shortName("NVIDIA H200")).isEqualTo("H200");
        assertThat(GpuModel.shortName("NVIDIA H200 NVL")).isEqualTo("H200-NVL");
        assertThat(GpuModel.shortName("NVIDIA B200")).isEqualTo("B200");
        assertThat(GpuModel.shortName("NVIDIA-GH200-144G-HBM3e")).isEqualTo("GH200-144G-HBM3e");
        assertThat(GpuModel.shortName("Tesla X (rev. 2)")).isEqualTo("Tesla-X-rev.-2");
        assertThat(GpuModel.shortName("NVIDIA")).isEqualTo("GPU");
    }

    @Test
    void concurrentRegistrationsOfOneReportGiveOneModelAndDistinctOrdinals() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<GpuModel>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<List<GpuModel>> task = () -> {
                    start.await();
                    List<GpuModel> got = new ArrayList<>();
                    for (int gb = 100; gb < 106; gb++) {
                        got.add(GpuModel.ofReported("NVIDIA Test Concurrent", small(gb), 4096));
                    }
                    return got;
                };
                futures.add(pool.submit(task));
            }
            start.countDown();
            List<List<GpuModel>> results = new ArrayList<>();
            for (Future<List<GpuModel>> f : futures) {
                results.add(f.get());
            }
            // every thread got the same six models, each once, with six distinct ordinals that index values()
            for (List<GpuModel> r : results) {
                assertThat(r).containsExactlyElementsOf(results.get(0));
            }
            Set<Integer> ordinals =
                    results.get(0).stream().map(GpuModel::ordinal).collect(Collectors.toSet());
            assertThat(ordinals).hasSize(6);
            GpuModel[] all = GpuModel.values();
            results.get(0).forEach(m -> assertThat(all[m.ordinal()]).isSameAs(m));
            assertThat(results.get(0)).extracting(GpuModel::displayName).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
    }
}
