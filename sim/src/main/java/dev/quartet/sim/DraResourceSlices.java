package dev.quartet.sim;

import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigEngines;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NvidiaDra;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ResourceSlices NVIDIA's DRA kubelet plugin (v0.4.1, {@code DynamicMIG} on) publishes for a node of Ampere GPUs
 * with MIG mode on: every profile at every legal placement of every GPU as a device, each consuming its capacities
 * and its memory slices from its GPU's counter set; the full GPU is not offered (MIG cannot be turned off without a
 * reset). Pure: the same node gives the same slices. The format follows driver.go {@code
 * generateSplitResourceSlices} (1.35 and later: one slice of every counter set, then one slice of devices per GPU)
 * and {@code generateCombinedResourceSlices} (1.34: one slice per GPU with its counter set and its devices).
 */
public final class DraResourceSlices {

    /** Values the simulated GPUs report that no GPU model table holds (the driver reads them from NVML). */
    static final String BRAND = "Nvidia";

    static final String DRIVER_VERSION = "580.126.20";
    static final String CUDA_DRIVER_VERSION = "13.0.0";

    private DraResourceSlices() {}

    /**
     * How the slices are laid out and named, from the API server's release.
     *
     * @param split counter sets in a slice of their own (1.35 and later)
     * @param indexedNames 1.36's names, {@code <5-digit index>-gpu.nvidia.com-<node>-<random>}; before,
     *     {@code <node>-gpu.nvidia.com-<random>}
     */
    public record Format(boolean split, boolean indexedNames) {
        public static Format forServerMinor(int minor) {
            return new Format(minor >= 35, minor >= 36);
        }
    }

    /** The node's slices, in the order the driver publishes them. */
    public static List<ResourceSlice> of(String node, String nodeUid, GpuModel model, int gpus, Format format) {
        List<ResourceSlice> slices = new ArrayList<>();
        int count = format.split() ? gpus + 1 : gpus;
        if (format.split()) {
            List<CounterSet> sets = new ArrayList<>();
            for (int gpu = 0; gpu < gpus; gpu++) {
                sets.add(counterSet(model, gpu));
            }
            slices.add(slice(node, nodeUid, 0, count, format)
                    .editSpec()
                    .withSharedCounters(sets)
                    .endSpec()
                    .build());
        }
        for (int gpu = 0; gpu < gpus; gpu++) {
            int index = format.split() ? gpu + 1 : gpu;
            ResourceSliceBuilder b = slice(node, nodeUid, index, count, format)
                    .editSpec()
                    .withDevices(devices(node, model, gpu))
                    .endSpec();
            if (!format.split()) {
                b.editSpec().withSharedCounters(counterSet(model, gpu)).endSpec();
            }
            slices.add(b.build());
        }
        return slices;
    }

    private static ResourceSliceBuilder slice(String node, String nodeUid, int index, int count, Format format) {
        String prefix = format.indexedNames()
                ? String.format("%05d-%s-%s-", index, NvidiaDra.DRIVER, node)
                : node + "-" + NvidiaDra.DRIVER + "-";
        return new ResourceSliceBuilder()
                .withNewMetadata()
                .withGenerateName(prefix)
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion("v1")
                        .withKind("Node")
                        .withName(node)
                        .withUid(nodeUid)
                        .withController(true)
                        .build())
                .endMetadata()
                .withNewSpec()
                .withDriver(NvidiaDra.DRIVER)
                .withNodeName(node)
                .withNewPool()
                .withName(node)
                .withGeneration(1L)
                .withResourceSliceCount((long) count)
                .endPool()
                .endSpec();
    }

    /** The GPU's counter set: each capacity at its maximum over the profiles, and one counter per memory slice. */
    static CounterSet counterSet(GpuModel model, int gpu) {
        Map<String, Counter> counters = new TreeMap<>();
        maxCapacities(model).forEach((cap, q) -> counters.put(NvidiaDra.counterOf(cap), new Counter(q)));
        for (int i = 0; i < memorySliceCount(model); i++) {
            counters.put(NvidiaDra.memorySliceCounter(i), new Counter(new Quantity("1")));
        }
        return new CounterSet(counters, NvidiaDra.counterSetName(gpu));
    }

    /** The largest placement of any profile (nvlib.go: the counter set's memory slices). */
    static int memorySliceCount(GpuModel model) {
        return model.profiles().stream()
                .mapToInt(MigProfile::memorySlices)
                .max()
                .orElse(0);
    }

    /** Every device of one GPU, sorted by name as the driver sorts them (which is the order first fit tries). */
    static List<Device> devices(String node, GpuModel model, int gpu) {
        List<Device> devices = new ArrayList<>();
        for (MigProfile p : model.profiles()) {
            for (int start : p.starts()) {
                devices.add(device(node, model, gpu, p, start));
            }
        }
        devices.sort(Comparator.comparing(Device::getName));
        return devices;
    }

    static Device device(String node, GpuModel model, int gpu, MigProfile profile, int start) {
        Map<String, DeviceCapacity> capacity = capacities(profile);
        Map<String, Counter> consumed = new TreeMap<>();
        capacity.forEach((cap, c) -> consumed.put(NvidiaDra.counterOf(cap), new Counter(c.getValue())));
        for (int i = start; i < start + profile.memorySlices(); i++) {
            consumed.put(NvidiaDra.memorySliceCounter(i), new Counter(new Quantity("1")));
        }
        Device d = new Device();
        d.setName(DraMigDevice.of(gpu, profile, start).name());
        d.setAttributes(attributes(node, model, gpu, profile));
        d.setCapacity(capacity);
        d.setConsumesCounters(List.of(new DeviceCounterConsumption(NvidiaDra.counterSetName(gpu), consumed)));
        return d;
    }

    private static Map<String, DeviceAttribute> attributes(String node, GpuModel model, int gpu, MigProfile profile) {
        Map<String, DeviceAttribute> a = new TreeMap<>();
        a.put(NvidiaDra.ATTR_TYPE, string(NvidiaDra.TYPE_MIG));
        a.put(NvidiaDra.ATTR_PARENT_UUID, string(GpuHardware.uuidOf(node, gpu)));
        a.put(NvidiaDra.ATTR_PROFILE, string(profile.name()));
        a.put(NvidiaDra.ATTR_PRODUCT_NAME, string(productName(model)));
        a.put(NvidiaDra.ATTR_BRAND, string(BRAND));
        a.put(NvidiaDra.ATTR_ARCHITECTURE, string(architecture(model)));
        a.put(
                NvidiaDra.ATTR_CUDA_COMPUTE_CAPABILITY,
                version(model.spec().computeMajor() + "." + model.spec().computeMinor() + ".0"));
        a.put(NvidiaDra.ATTR_DRIVER_VERSION, version(DRIVER_VERSION));
        a.put(NvidiaDra.ATTR_CUDA_DRIVER_VERSION, version(CUDA_DRIVER_VERSION));
        a.put(NvidiaDra.ATTR_ADDRESSING_MODE, string("None"));
        a.put(NvidiaDra.ATTR_PCI_BUS_ID, string(pciBusId(gpu)));
        return a;
    }

    /** NVML's product name: GFD's label value with a space for the first dash ({@code NVIDIA-A30}: {@code NVIDIA A30}). */
    static String productName(GpuModel model) {
        return model.product().replaceFirst("-", " ");
    }

    static String architecture(GpuModel model) {
        String family = model.spec().family();
        return Character.toUpperCase(family.charAt(0)) + family.substring(1);
    }

    /** The simulated GPUs' PCI bus ids, ascending with the index as the driver's slice order is. */
    static String pciBusId(int gpu) {
        return String.format("0000:%02x:00.0", 0x17 + gpu * 0x14);
    }

    /** The capacities of one instance (memory nominal: the profile's GB x 1 GiB; NVML reports a little less). */
    static Map<String, DeviceCapacity> capacities(MigProfile p) {
        MigEngines e = p.engines();
        if (e == null) {
            throw new IllegalArgumentException("gpu-models.yaml gives no engine counts for " + p.name()
                    + "; the simulated DRA driver needs them (A30 has them)");
        }
        Map<String, DeviceCapacity> c = new LinkedHashMap<>();
        c.put(NvidiaDra.CAP_MULTIPROCESSORS, cap(p.multiprocessors()));
        c.put(NvidiaDra.CAP_COPY_ENGINES, cap(e.copyEngines()));
        c.put(NvidiaDra.CAP_DECODERS, cap(e.decoders()));
        c.put(NvidiaDra.CAP_ENCODERS, cap(e.encoders()));
        c.put(NvidiaDra.CAP_JPEG_ENGINES, cap(e.jpegEngines()));
        c.put(NvidiaDra.CAP_OFA_ENGINES, cap(e.ofaEngines()));
        c.put(NvidiaDra.CAP_MEMORY, new DeviceCapacity(null, new Quantity(p.memoryGiB() + "Gi")));
        return c;
    }

    private static Map<String, Quantity> maxCapacities(GpuModel model) {
        Map<String, Quantity> max = new TreeMap<>();
        for (MigProfile p : model.profiles()) {
            capacities(p)
                    .forEach((k, v) -> max.merge(
                            k,
                            v.getValue(),
                            (a, b) -> a.getNumericalAmount().compareTo(b.getNumericalAmount()) >= 0 ? a : b));
        }
        return max;
    }

    private static DeviceCapacity cap(int value) {
        return new DeviceCapacity(null, new Quantity(Integer.toString(value)));
    }

    private static DeviceAttribute string(String s) {
        DeviceAttribute a = new DeviceAttribute();
        a.setString(s);
        return a;
    }

    private static DeviceAttribute version(String v) {
        DeviceAttribute a = new DeviceAttribute();
        a.setVersion(v);
        return a;
    }
}
