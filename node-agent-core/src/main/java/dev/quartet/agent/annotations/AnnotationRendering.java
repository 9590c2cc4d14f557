package dev.quartet.agent.annotations;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quartet.agent.kubelet.PodDevices;
import dev.quartet.agent.nvml.GpuFacts;
import dev.quartet.agent.nvml.InstanceFacts;
import dev.quartet.agent.nvml.ProfileFacts;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NodeAgentReport.Gpu;
import dev.quartet.nvidia.NodeAgentReport.Instance;
import dev.quartet.nvidia.NodeAgentReport.Layout;
import dev.quartet.nvidia.NodeAgentReport.MigDevice;
import dev.quartet.nvidia.NodeAgentReport.Profile;
import dev.quartet.nvidia.NodeAgentReport.ProfileTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns one pass's facts (the kubelet's device assignments joined with NVML) into annotation values. Pure: the same
 * facts always give the same strings, byte for byte, so comparing strings is enough to know whether to write.
 */
public final class AnnotationRendering {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private AnnotationRendering() {}

    /** Joins the kubelet's assignments with NVML's GPUs into every annotation the agent wants. */
    public static DesiredAnnotations desired(List<PodDevices> pods, List<GpuFacts> gpus) {
        Map<String, MigDevice> byUuid = new HashMap<>();
        for (GpuFacts gpu : gpus) {
            for (InstanceFacts in : gpu.instances()) {
                if (in.uuid() != null) {
                    byUuid.put(in.uuid(), new MigDevice(gpu.index(), in.profile(), in.start(), in.uuid()));
                }
            }
        }
        Map<PodKey, String> podValues = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (PodDevices pod : pods) {
            PodKey key = new PodKey(pod.namespace(), pod.name());
            List<MigDevice> devices = new ArrayList<>();
            boolean complete = true;
            for (PodDevices.Device d : pod.devices()) {
                MigDevice device = byUuid.get(d.uuid());
                if (device == null) {
                    unknown.add(d.uuid() + " (" + key + ", " + d.resourceName() + ")");
                    complete = false;
                } else if (!devices.contains(device)) {
                    devices.add(device);
                }
            }
            // a pod is annotated only once every device it holds is known: half an answer would unpin a GPU
            if (complete && !devices.isEmpty()) {
                devices.sort(Comparator.comparingInt(MigDevice::gpu).thenComparingInt(MigDevice::start));
                podValues.put(key, devices.size() == 1 ? json(devices.get(0)) : json(devices));
            }
        }
        Map<String, String> node =
                Map.of(NodeAgentReport.MIG_LAYOUT, layout(gpus), NodeAgentReport.MIG_PROFILES, profileTables(gpus));
        return new DesiredAnnotations(podValues, node, unknown);
    }

    /** The {@code quartet.dev/mig-layout} value. */
    public static String layout(List<GpuFacts> gpus) {
        List<Gpu> entries = new ArrayList<>();
        for (GpuFacts gpu : gpus) {
            List<Instance> instances = gpu.instances().stream()
                    .map(in -> new Instance(
                            in.profile(), in.profileId(), in.giId(), in.start(), in.size(), in.uuid(), in.processes()))
                    .toList();
            entries.add(new Gpu(
                    gpu.index(),
                    gpu.uuid(),
                    gpu.product(),
                    gpu.memoryMiB(),
                    gpu.migCapable(),
                    gpu.migEnabled(),
                    gpu.migPendingEnabled(),
                    instances));
        }
        return json(new Layout(entries));
    }

    /**
     * The {@code quartet.dev/mig-profiles} value: one table per GPU product (the GPUs of a product share it), taken
     * from the GPU of that product that reports the most placements (NVML gives none while MIG is off). Profiles
     * go-nvlib cannot name are left out.
     */
    public static String profileTables(List<GpuFacts> gpus) {
        Map<String, GpuFacts> richest = new TreeMap<>();
        for (GpuFacts gpu : gpus) {
            if (gpu.profiles().isEmpty()) {
                continue;
            }
            richest.merge(gpu.product(), gpu, (a, b) -> placements(b) > placements(a) ? b : a);
        }
        Map<String, ProfileTable> tables = new TreeMap<>();
        richest.forEach((product, gpu) -> {
            List<Profile> profiles = gpu.profiles().stream()
                    .filter(p -> p.name() != null)
                    .sorted(Comparator.comparingInt(ProfileFacts::index))
                    .map(p -> new Profile(
                            p.id(),
                            p.name(),
                            p.computeSlices(),
                            p.memorySlices(),
                            p.multiprocessors(),
                            p.maxCount(),
                            p.memoryMiB(),
                            p.starts()))
                    .toList();
            int computeSlices =
                    profiles.stream().mapToInt(Profile::computeSlices).max().orElse(0);
            int memorySlices = profiles.stream()
                    .flatMapToInt(p -> p.starts().stream().mapToInt(s -> s + p.memorySlices()))
                    .max()
                    .orElse(0);
            tables.put(product, new ProfileTable(gpu.memoryMiB(), computeSlices, memorySlices, profiles));
        });
        return json(tables);
    }

    private static int placements(GpuFacts gpu) {
        return gpu.profiles().stream().mapToInt(p -> p.starts().size()).sum();
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + value, e);
        }
    }
}
