package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.NvidiaDra;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The simulated DRA driver publishes what NVIDIA's does (v0.4.1, DynamicMIG, Ampere with MIG on). */
class DraResourceSlicesTest {

    private static final DraResourceSlices.Format V1_36 = DraResourceSlices.Format.forServerMinor(36);

    @Test
    void splitFormatHasOneCounterSliceFirstThenOneDeviceSlicePerGpu() {
        List<ResourceSlice> slices = DraResourceSlices.of("n1", "uid-1", GpuModel.A30, 2, V1_36);

        assertThat(slices).hasSize(3);
        assertThat(slices)
                .extracting(s -> s.getMetadata().getGenerateName())
                .containsExactly("00000-gpu.nvidia.com-n1-", "00001-gpu.nvidia.com-n1-", "00002-gpu.nvidia.com-n1-");
        assertThat(slices).allSatisfy(s -> {
            assertThat(s.getSpec().getDriver()).isEqualTo("gpu.nvidia.com");
            assertThat(s.getSpec().getNodeName()).isEqualTo("n1");
            assertThat(s.getSpec().getPool().getName()).isEqualTo("n1");
            assertThat(s.getSpec().getPool().getResourceSliceCount()).isEqualTo(3L);
            assertThat(s.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Node");
        });
        assertThat(slices.get(0).getSpec().getDevices()).isNullOrEmpty();
        assertThat(slices.get(0).getSpec().getSharedCounters())
                .extracting(c -> c.getName())
                .containsExactly("gpu-0-counter-set", "gpu-1-counter-set");
        assertThat(slices.get(1).getSpec().getSharedCounters()).isNullOrEmpty();
    }

    @Test
    void everyA30ProfileAtEveryPlacementInNameOrderWithoutTheFullGpu() {
        List<Device> devices = DraResourceSlices.of("n1", "u", GpuModel.A30, 1, V1_36)
                .get(1)
                .getSpec()
                .getDevices();

        assertThat(devices)
                .extracting(Device::getName)
                .containsExactly(
                        "gpu-0-mig-1g6gb-14-0",
                        "gpu-0-mig-1g6gb-14-1",
                        "gpu-0-mig-1g6gb-14-2",
                        "gpu-0-mig-1g6gb-14-3",
                        "gpu-0-mig-1g6gb-me-21-0",
                        "gpu-0-mig-1g6gb-me-21-1",
                        "gpu-0-mig-1g6gb-me-21-2",
                        "gpu-0-mig-1g6gb-me-21-3",
                        "gpu-0-mig-2g12gb-5-0",
                        "gpu-0-mig-2g12gb-5-2",
                        "gpu-0-mig-2g12gb-me-6-0",
                        "gpu-0-mig-2g12gb-me-6-2",
                        "gpu-0-mig-4g24gb-0-0");
    }

    @Test
    void aDeviceHasTheDriversAttributesOnlyAndConsumesItsCapacitiesAndMemorySlices() {
        Device d = DraResourceSlices.device("n1", GpuModel.A30, 0, GpuModel.A30.requireProfile("2g.12gb"), 2);

        assertThat(d.getAttributes().keySet())
                .containsExactlyInAnyOrder(
                        "type",
                        "parentUUID",
                        "profile",
                        "productName",
                        "brand",
                        "architecture",
                        "cudaComputeCapability",
                        "driverVersion",
                        "cudaDriverVersion",
                        "addressingMode",
                        "resource.kubernetes.io/pciBusID");
        assertThat(d.getAttributes().get("type").getString()).isEqualTo("mig");
        assertThat(d.getAttributes().get("profile").getString()).isEqualTo("2g.12gb");
        assertThat(d.getAttributes().get("parentUUID").getString()).isEqualTo(GpuHardware.uuidOf("n1", 0));
        assertThat(d.getAttributes().get("productName").getString()).isEqualTo("NVIDIA A30");
        assertThat(d.getAttributes().get("architecture").getString()).isEqualTo("Ampere");
        assertThat(d.getAttributes().get("cudaComputeCapability").getVersion()).isEqualTo("8.0.0");
        assertThat(d.getCapacity().keySet())
                .containsExactlyInAnyOrder(
                        "multiprocessors",
                        "copyEngines",
                        "decoders",
                        "encoders",
                        "jpegEngines",
                        "ofaEngines",
                        "memory");
        assertThat(d.getConsumesCounters()).hasSize(1);
        assertThat(d.getConsumesCounters().get(0).getCounterSet()).isEqualTo("gpu-0-counter-set");
        Map<String, Counter> consumed = d.getConsumesCounters().get(0).getCounters();
        assertThat(consumed.keySet())
                .containsExactlyInAnyOrder(
                        "multiprocessors",
                        "copy-engines",
                        "decoders",
                        "encoders",
                        "jpeg-engines",
                        "ofa-engines",
                        "memory",
                        "memory-slice-2",
                        "memory-slice-3");
        assertThat(consumed.get("multiprocessors").getValue()).isEqualTo(new Quantity("28"));
        assertThat(consumed.get("memory").getValue()).isEqualTo(new Quantity("12Gi"));
    }

    @Test
    void theCounterSetHoldsEachCapacityAtItsLargestAndOneCounterPerMemorySlice() {
        var set = DraResourceSlices.counterSet(GpuModel.A30, 1);

        assertThat(set.getName()).isEqualTo("gpu-1-counter-set");
        assertThat(set.getCounters().keySet())
                .containsExactlyInAnyOrder(
                        "multiprocessors",
                        "copy-engines",
                        "decoders",
                        "encoders",
                        "jpeg-engines",
                        "ofa-engines",
                        "memory",
                        "memory-slice-0",
                        "memory-slice-1",
                        "memory-slice-2",
                        "memory-slice-3");
        assertThat(set.getCounters().get("multiprocessors").getValue()).isEqualTo(new Quantity("56"));
        assertThat(set.getCounters().get("memory").getValue()).isEqualTo(new Quantity("24Gi"));
        assertThat(set.getCounters().get("decoders").getValue()).isEqualTo(new Quantity("4"));
    }

    @Test
    void before135EachGpuSliceCarriesItsOwnCounterSetAndNamesStartWithTheNode() {
        List<ResourceSlice> slices =
                DraResourceSlices.of("n1", "u", GpuModel.A30, 2, DraResourceSlices.Format.forServerMinor(34));

        assertThat(slices).hasSize(2);
        assertThat(slices).allSatisfy(s -> {
            assertThat(s.getSpec().getSharedCounters()).hasSize(1);
            assertThat(s.getSpec().getDevices()).hasSize(13);
            assertThat(s.getSpec().getPool().getResourceSliceCount()).isEqualTo(2L);
            assertThat(s.getMetadata().getGenerateName()).isEqualTo("n1-gpu.nvidia.com-");
        });
        assertThat(slices.get(1).getSpec().getSharedCounters().get(0).getName()).isEqualTo("gpu-1-counter-set");
    }

    @Test
    void aModelWithoutEngineCountsIsRefused() {
        assertThatThrownBy(() -> DraResourceSlices.of("n1", "u", GpuModel.A100_40GB, 1, V1_36))
                .hasMessageContaining("engine counts");
        assertThat(NvidiaDra.counterOf("copyEngines")).isEqualTo("copy-engines");
    }
}
