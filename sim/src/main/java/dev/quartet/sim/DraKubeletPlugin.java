package dev.quartet.sim;

import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NvidiaDra;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodResourceClaim;
import io.fabric8.kubernetes.api.model.PodResourceClaimStatus;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * NVIDIA's DRA kubelet plugin with {@code DynamicMIG} (dra-driver-nvidia-gpu v0.4.1) on a simulated node: publishes
 * the node's ResourceSlices ({@link DraResourceSlices}), prepares a claim allocated to one of its devices by creating
 * the GPU instance at the allocated placement (device_state.go prepare: {@code CreateGpuInstanceWithPlacement}), and
 * unprepares it, destroying the instance, once no pod on the node uses the claim any more. MIG mode is never touched:
 * on Ampere the driver leaves it as it found it. Runs on the simulator's event loop.
 */
final class DraKubeletPlugin {

    private static final Logger LOG = Logger.getLogger(DraKubeletPlugin.class.getName());

    /** The claim is not allocated to this node yet (or its name not known yet): the pod waits. */
    static final class NotYet extends Exception {
        NotYet(String message) {
            super(message);
        }
    }

    /** Preparing failed as the real plugin's NodePrepareResources fails: the kubelet retries, the pod stays Pending. */
    static final class PrepareFailed extends Exception {
        PrepareFailed(String message) {
            super(message);
        }
    }

    /** A claim prepared on a node: the instance created for it and the pods on the node that use it. */
    record Prepared(String claim, String deviceName, MigDevice device, Set<String> pods) {}

    private final KubernetesClient client;
    private DraResourceSlices.Format format;

    DraKubeletPlugin(KubernetesClient client) {
        this.client = client;
    }

    /** The slice format for the API server's release, read once (the driver reads it at start). */
    private DraResourceSlices.Format format() {
        if (format == null) {
            String minor = client.getKubernetesVersion().getMinor().replaceAll("\\D", "");
            format = DraResourceSlices.Format.forServerMinor(Integer.parseInt(minor));
        }
        return format;
    }

    /** Publishes the node's slices (owned by the Node, so they go with it). */
    void publish(SimulatedNode node) {
        for (ResourceSlice slice : DraResourceSlices.of(node.name, node.uid, node.model, node.gpus.size(), format())) {
            client.dynamicResourceAllocation()
                    .v1()
                    .resourcesSlices()
                    .resource(slice)
                    .create();
        }
        LOG.info(() -> "node " + node.name + ": published ResourceSlices of " + NvidiaDra.DRIVER + " for "
                + node.gpus.size() + " GPUs (" + format() + ")");
    }

    /**
     * Prepares every claim of the pod allocated to this node's devices; returns one grant per device. A claim that
     * another pod on the node already prepared is shared, as the plugin's checkpoint shares it.
     */
    List<SimulatedNode.Grant> prepare(Pod pod, SimulatedNode node) throws NotYet, PrepareFailed {
        List<SimulatedNode.Grant> grants = new ArrayList<>();
        List<PodResourceClaim> claims = pod.getSpec().getResourceClaims();
        if (claims == null) {
            return grants;
        }
        String ns = pod.getMetadata().getNamespace();
        String podUid = pod.getMetadata().getUid();
        for (PodResourceClaim ref : claims) {
            String claimName = claimName(pod, ref)
                    .orElseThrow(() -> new NotYet("claim " + ref.getName() + " has no ResourceClaim yet"));
            ResourceClaim claim;
            try {
                claim = client.dynamicResourceAllocation()
                        .v1()
                        .resourceClaims()
                        .inNamespace(ns)
                        .withName(claimName)
                        .get();
            } catch (KubernetesClientException e) {
                throw new NotYet("claim " + ns + "/" + claimName + " cannot be read: " + e.getMessage());
            }
            if (claim == null
                    || claim.getStatus() == null
                    || claim.getStatus().getAllocation() == null
                    || claim.getStatus().getAllocation().getDevices() == null) {
                throw new NotYet("claim " + ns + "/" + claimName + " is not allocated");
            }
            String claimUid = claim.getMetadata().getUid();
            for (DeviceRequestAllocationResult result :
                    claim.getStatus().getAllocation().getDevices().getResults()) {
                if (!NvidiaDra.DRIVER.equals(result.getDriver()) || !node.name.equals(result.getPool())) {
                    continue;
                }
                String key = claimUid + "/" + result.getDevice();
                Prepared prepared = node.preparedClaims.get(key);
                if (prepared == null) {
                    MigDevice device = create(node, result.getDevice(), ns + "/" + claimName);
                    prepared = new Prepared(ns + "/" + claimName, result.getDevice(), device, new HashSet<>());
                    node.preparedClaims.put(key, prepared);
                }
                prepared.pods().add(podUid);
                MigDevice d = prepared.device();
                grants.add(new SimulatedNode.Grant("claim " + prepared.claim(), d.gpu(), d, d.uuid(), false));
            }
        }
        return grants;
    }

    private static Optional<String> claimName(Pod pod, PodResourceClaim ref) {
        if (ref.getResourceClaimName() != null) {
            return Optional.of(ref.getResourceClaimName());
        }
        List<PodResourceClaimStatus> statuses =
                pod.getStatus() == null ? null : pod.getStatus().getResourceClaimStatuses();
        return statuses == null
                ? Optional.empty()
                : statuses.stream()
                        .filter(s -> ref.getName().equals(s.getName()))
                        .map(PodResourceClaimStatus::getResourceClaimName)
                        .filter(n -> n != null)
                        .findFirst();
    }

    /** Creates the GPU instance the device name describes (the driver maps the name to its MIG spec). */
    private MigDevice create(SimulatedNode node, String deviceName, String claim) throws PrepareFailed {
        DraMigDevice dra = DraMigDevice.parse(deviceName)
                .orElseThrow(() -> new PrepareFailed("device " + deviceName + " is no dynamic MIG device"));
        if (dra.gpuMinor() < 0 || dra.gpuMinor() >= node.gpus.size()) {
            throw new PrepareFailed("device " + deviceName + ": no GPU " + dra.gpuMinor());
        }
        MigProfile profile = dra.profileOn(node.model)
                .orElseThrow(() -> new PrepareFailed("device " + deviceName + ": no GI profile " + dra.giProfileId()));
        GpuHardware gpu = node.gpus.get(dra.gpuMinor());
        GpuHardware changed;
        try {
            changed = gpu.withInstanceCreated(new GpuInstance(profile, dra.start()));
        } catch (IllegalStateException e) {
            // NVML: INSUFFICIENT_RESOURCES for an occupied placement; the prepare fails and is retried
            throw new PrepareFailed("error creating GPU instance for " + deviceName + ": " + e.getMessage());
        }
        List<GpuHardware> gpus = new ArrayList<>(node.gpus);
        gpus.set(dra.gpuMinor(), changed);
        node.gpus = List.copyOf(gpus);
        MigDevice created = changed.devices().get(changed.devices().size() - 1);
        LOG.info(() -> "node " + node.name + ": prepared claim " + claim + ": created " + created + " (" + deviceName
                + ", " + created.uuid() + ")");
        return created;
    }

    /** The pod is gone from the node: unprepares each claim no other pod on the node uses (destroys its instance). */
    void unprepare(SimulatedNode node, String podUid) {
        for (Map.Entry<String, Prepared> e : List.copyOf(node.preparedClaims.entrySet())) {
            Prepared p = e.getValue();
            if (!p.pods().remove(podUid) || !p.pods().isEmpty()) {
                continue;
            }
            node.preparedClaims.remove(e.getKey());
            MigDevice d = p.device();
            GpuHardware gpu = node.gpus.get(d.gpu());
            List<MigDevice> kept = gpu.devices().stream()
                    .filter(x -> !x.uuid().equals(d.uuid()))
                    .toList();
            List<GpuHardware> gpus = new ArrayList<>(node.gpus);
            gpus.set(d.gpu(), gpu.withDevices(kept));
            node.gpus = List.copyOf(gpus);
            LOG.info(() -> "node " + node.name + ": unprepared claim " + p.claim() + ": destroyed " + d);
        }
    }
}
