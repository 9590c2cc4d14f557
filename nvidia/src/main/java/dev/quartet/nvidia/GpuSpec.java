package dev.quartet.nvidia;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What NVIDIA says about one MIG-capable GPU model: the names GFD and PCI give it, its memory, and its MIG profile
 * table. The models Quartet knows are {@link GpuModel}s, read from {@code gpu-models.yaml}; a GPU reported at run
 * time (a node agent reading NVML) is described by a value built the same way.
 *
 * @param name Quartet's short name, e.g. {@code A100-40GB}
 * @param products GFD's {@code nvidia.com/gpu.product} values of this model (the first is the one the simulator shows)
 * @param pciDeviceIds PCI device ids with vendor, as mig-parted's {@code device-filter} writes them (e.g.
 *     {@code 0x20B710DE}); the first is the one the simulator's GPUs have; none for a model a node agent reported (NVML's
 *     profile table says nothing of it), every built-in model has one
 * @param memoryMiB memory of the whole GPU, as GFD's {@code nvidia.com/gpu.memory}
 * @param family GFD's {@code nvidia.com/gpu.family}; empty for a model a node agent reported
 * @param computeMajor CUDA compute capability, major (0 when not reported)
 * @param computeMinor CUDA compute capability, minor
 * @param mig the MIG profile table
 */
public record GpuSpec(
        String name,
        List<String> products,
        List<String> pciDeviceIds,
        int memoryMiB,
        String family,
        int computeMajor,
        int computeMinor,
        MigProfileTable mig) {

    public GpuSpec {
        products = List.copyOf(products);
        pciDeviceIds = List.copyOf(pciDeviceIds);
        if (name == null || name.isBlank() || products.isEmpty() || mig == null) {
            throw new IllegalArgumentException("a GPU model has a name, a product and a MIG table");
        }
        for (String id : pciDeviceIds) {
            if (PciDeviceId.parse(id).isEmpty()) {
                throw new IllegalArgumentException(name + ": PCI device id " + id + " is not a number");
            }
        }
    }

    private record File(List<GpuSpec> models) {}

    /**
     * The models of a file in the shape of {@code gpu-models.yaml} ({@code models:}, a list of these), read from the
     * class path beside {@code anchor}; an unknown field is refused.
     */
    public static List<GpuSpec> readAll(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing beside " + anchor.getName());
            }
            return List.copyOf(YAMLMapper.builder()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build()
                    .readValue(in, File.class)
                    .models());
        } catch (IOException e) {
            throw new UncheckedIOException(resource + " cannot be read", e);
        }
    }
}
