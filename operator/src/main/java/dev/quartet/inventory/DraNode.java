package dev.quartet.inventory;

import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NvidiaDra;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A node of NVIDIA's DRA driver with DynamicMIG, as its ResourceSlices and the allocated ResourceClaims show it: its
 * GPU model, its MIG GPUs (minor number and UUID, which a claim's selector pins), whether its pool is complete (the
 * scheduler uses only complete pools), and which placements claims hold. No node agent is needed: the allocation in
 * a claim's status names the device, and the device name the placement.
 *
 * @param gpus  per GPU minor, its UUID ({@code parentUUID} of its MIG devices)
 * @param held  the MIG devices of this node that claims are allocated, in claim order
 */
public record DraNode(String name, GpuModel model, SortedMap<Integer, String> gpus, boolean complete, List<Held> held) {

    /**
     * A placement in use: allocated to {@code claim}, or (claim null) planned for the Quartet replica pod
     * {@code replica} ({@code ns/name}) whose claim is not allocated yet: a pod behind its scheduling gate holds its
     * planned placement, or another replica could be planned there before the allocation reaches the cache.
     * {@code replica} is the Quartet replica the placement is for, null for anyone else's claim.
     */
    public record Held(int gpu, String profile, int start, String device, ResourceClaim claim, String replica) {}

    public DraNode {
        gpus = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(gpus));
        held = List.copyOf(held);
    }

    /**
     * Every node whose pool of NVIDIA's driver offers MIG devices of a GPU model Quartet knows, by name. Slices that
     * select nodes other than by {@code nodeName} are not the driver's and are ignored.
     */
    public static Map<String, DraNode> of(
            Collection<ResourceSlice> slices, Collection<ResourceClaim> claims, Collection<Pod> pods) {
        Map<String, List<ResourceSlice>> byNode = new TreeMap<>();
        for (ResourceSlice s : slices) {
            if (s.getSpec() != null
                    && NvidiaDra.DRIVER.equals(s.getSpec().getDriver())
                    && s.getSpec().getNodeName() != null
                    && s.getSpec().getPool() != null) {
                byNode.computeIfAbsent(s.getSpec().getNodeName(), n -> new ArrayList<>())
                        .add(s);
            }
        }
        Map<String, DraNode> nodes = new TreeMap<>();
        byNode.forEach((node, own) -> of(node, own, claims, pods).ifPresent(n -> nodes.put(node, n)));
        return nodes;
    }

    private static Optional<DraNode> of(
            String node, List<ResourceSlice> slices, Collection<ResourceClaim> claims, Collection<Pod> pods) {
        long generation = slices.stream()
                .mapToLong(s -> s.getSpec().getPool().getGeneration())
                .max()
                .orElse(0);
        List<ResourceSlice> current = slices.stream()
                .filter(s -> s.getSpec().getPool().getGeneration() == generation)
                .toList();
        long expected = current.get(0).getSpec().getPool().getResourceSliceCount();
        boolean complete = current.size() == expected;
        GpuModel model = null;
        SortedMap<Integer, String> gpus = new TreeMap<>();
        for (ResourceSlice s : current) {
            if (s.getSpec().getDevices() == null) {
                continue;
            }
            for (Device d : s.getSpec().getDevices()) {
                Optional<DraMigDevice> mig = DraMigDevice.parse(d.getName());
                Map<String, DeviceAttribute> attrs = d.getAttributes() == null ? Map.of() : d.getAttributes();
                if (mig.isEmpty() || !NvidiaDra.TYPE_MIG.equals(string(attrs, NvidiaDra.ATTR_TYPE))) {
                    continue;
                }
                String product = string(attrs, NvidiaDra.ATTR_PRODUCT_NAME);
                if (model == null && product != null) {
                    model = GpuModel.fromProductLabel(product.replace(' ', '-')).orElse(null);
                }
                String uuid = string(attrs, NvidiaDra.ATTR_PARENT_UUID);
                if (uuid != null) {
                    gpus.putIfAbsent(mig.get().gpuMinor(), uuid);
                }
            }
        }
        if (model == null || gpus.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DraNode(node, model, gpus, complete, List.of()).holding(claims, pods));
    }

    /** This node with the placements these claims and these replica pods hold (any earlier list replaced). */
    public DraNode holding(Collection<ResourceClaim> claims, Collection<Pod> pods) {
        List<Held> held = new ArrayList<>();
        java.util.Set<String> allocated = new java.util.HashSet<>();
        for (ResourceClaim c : claims) {
            for (DeviceRequestAllocationResult r : results(c)) {
                if (!NvidiaDra.DRIVER.equals(r.getDriver()) || !name.equals(r.getPool())) {
                    continue;
                }
                Optional<DraMigDevice> mig = DraMigDevice.parse(r.getDevice());
                Optional<MigProfile> profile = mig.flatMap(m -> m.profileOn(model));
                if (profile.isPresent() && gpus.containsKey(mig.get().gpuMinor())) {
                    String replica = replicaOf(c);
                    if (replica != null) {
                        allocated.add(replica);
                    }
                    held.add(new Held(
                            mig.get().gpuMinor(),
                            profile.get().name(),
                            mig.get().start(),
                            r.getDevice(),
                            c,
                            replica));
                }
            }
        }
        for (Pod p : pods) {
            String id = PodFacts.id(p);
            Optional<DraMigDevice> mig = Optional.ofNullable(p.getMetadata().getAnnotations())
                    .map(a -> a.get(QuartetLabels.PLANNED_DEVICE))
                    .flatMap(DraMigDevice::parse);
            if (mig.isEmpty()
                    || !name.equals(PodFacts.plannedNode(p))
                    || PodFacts.isTerminating(p)
                    || PodFacts.isFinished(p)
                    || allocated.contains(id)) {
                continue;
            }
            Optional<MigProfile> profile = mig.get().profileOn(model);
            if (profile.isPresent() && gpus.containsKey(mig.get().gpuMinor())) {
                held.add(new Held(
                        mig.get().gpuMinor(),
                        profile.get().name(),
                        mig.get().start(),
                        mig.get().name(),
                        null,
                        id));
            }
        }
        return new DraNode(name, model, gpus, complete, held);
    }

    /** The replica pod ({@code ns/name}) a claim of Quartet's was made for, or null. */
    static String replicaOf(ResourceClaim c) {
        Map<String, String> labels = c.getMetadata().getLabels();
        String pod = labels == null || !QuartetLabels.MANAGED_BY_VALUE.equals(labels.get(QuartetLabels.MANAGED_BY))
                ? null
                : labels.get(QuartetLabels.REPLICA);
        return pod == null ? null : c.getMetadata().getNamespace() + "/" + pod;
    }

    /** The devices a claim is allocated, empty while it is not. */
    public static List<DeviceRequestAllocationResult> results(ResourceClaim c) {
        if (c.getStatus() == null
                || c.getStatus().getAllocation() == null
                || c.getStatus().getAllocation().getDevices() == null
                || c.getStatus().getAllocation().getDevices().getResults() == null) {
            return List.of();
        }
        return c.getStatus().getAllocation().getDevices().getResults();
    }

    private static String string(Map<String, DeviceAttribute> attrs, String name) {
        DeviceAttribute a = attrs.get(name);
        return a == null ? null : a.getString();
    }

    /** Whether a placement of {@code profile} at {@code start} of GPU {@code gpu} overlaps one in use. */
    public boolean overlapsHeld(int gpu, String profile, int start) {
        return overlapsHeld(gpu, profile, start, null);
    }

    /** The same, leaving out what replica {@code except} ({@code ns/name}) itself holds. */
    public boolean overlapsHeld(int gpu, String profile, int start, String except) {
        int size = model.requireProfile(profile).memorySlices();
        for (Held h : held) {
            if (except != null && except.equals(h.replica())) {
                continue;
            }
            int hs = model.requireProfile(h.profile()).memorySlices();
            if (h.gpu() == gpu && start < h.start() + hs && h.start() < start + size) {
                return true;
            }
        }
        return false;
    }
}
