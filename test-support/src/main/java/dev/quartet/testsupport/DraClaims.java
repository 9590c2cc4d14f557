package dev.quartet.testsupport;

import dev.quartet.nvidia.NvidiaDra;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/** ResourceClaims for NVIDIA's MIG devices, and pods that use them, as users of the DRA driver write them. */
public final class DraClaims {

    /** The finalizer the scheduler puts on a claim it allocates (resourceapi.Finalizer). */
    public static final String DELETE_PROTECTION = "resource.kubernetes.io/delete-protection";

    /** The name of the one request of every claim built here. */
    public static final String REQUEST = "mig";

    private DraClaims() {}

    /** Creates NVIDIA's {@code mig.nvidia.com} DeviceClass (as the driver's chart does) unless it exists. */
    public static void ensureMigDeviceClass(KubernetesClient client) {
        var classes = client.dynamicResourceAllocation().v1().deviceClasses();
        if (classes.withName(NvidiaDra.MIG_DEVICE_CLASS).get() != null) {
            return;
        }
        DeviceClass dc = new DeviceClassBuilder()
                .withNewMetadata()
                .withName(NvidiaDra.MIG_DEVICE_CLASS)
                .endMetadata()
                .withNewSpec()
                .addNewSelector()
                .withNewCel(NvidiaDra.MIG_DEVICE_CLASS_SELECTOR)
                .endSelector()
                .endSpec()
                .build();
        try {
            classes.resource(dc).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /** A claim for one device of the MIG class matching this CEL selector. */
    public static ResourceClaim claim(String namespace, String name, String celSelector) {
        return new ResourceClaimBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withNewDevices()
                .addNewRequest()
                .withName(REQUEST)
                .withNewExactly()
                .withDeviceClassName(NvidiaDra.MIG_DEVICE_CLASS)
                .addNewSelector()
                .withNewCel(celSelector)
                .endSelector()
                .endExactly()
                .endRequest()
                .endDevices()
                .endSpec()
                .build();
    }

    /** A pod using the claim, pinned to {@code node} by its hostname label (null: any node). */
    public static Pod pod(String namespace, String name, String node, String claimName) {
        PodBuilder b = new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(0L)
                .addNewResourceClaim()
                .withName(REQUEST)
                .withResourceClaimName(claimName)
                .endResourceClaim()
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addNewClaim()
                .withName(REQUEST)
                .endClaim()
                .endResources()
                .endContainer()
                .endSpec();
        if (node != null) {
            b.editSpec().addToNodeSelector("kubernetes.io/hostname", node).endSpec();
        }
        return b.build();
    }

    /** The device the claim got, if it is allocated. */
    public static Optional<String> allocatedDevice(ResourceClaim claim) {
        if (claim == null
                || claim.getStatus() == null
                || claim.getStatus().getAllocation() == null
                || claim.getStatus().getAllocation().getDevices() == null) {
            return Optional.empty();
        }
        return claim.getStatus().getAllocation().getDevices().getResults().stream()
                .map(DeviceRequestAllocationResult::getDevice)
                .findFirst();
    }

    /**
     * Writes the claim's allocation itself, as the scheduler would have: this device of the node's pool, and a node
     * selector for that node. The scheduler then only checks that the pod can run where the claim is allocated.
     */
    public static ResourceClaim allocate(KubernetesClient client, ResourceClaim claim, String node, String device) {
        var claims = client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(claim.getMetadata().getNamespace());
        ResourceClaim current = claims.withName(claim.getMetadata().getName()).get();
        // as the scheduler does (dynamicresources.go bindClaim): the finalizer first, in a normal update, so that an
        // allocated claim is not deleted before it is deallocated
        java.util.List<String> finalizers = current.getMetadata().getFinalizers() == null
                ? new java.util.ArrayList<>()
                : new java.util.ArrayList<>(current.getMetadata().getFinalizers());
        if (!finalizers.contains(DELETE_PROTECTION)) {
            finalizers.add(DELETE_PROTECTION);
            current.getMetadata().setFinalizers(finalizers);
            current = claims.resource(current).update();
        }
        current.setStatus(new io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder()
                .withAllocation(new AllocationResultBuilder()
                        .withNewDevices()
                        .withResults(new DeviceRequestAllocationResultBuilder()
                                .withRequest(REQUEST)
                                .withDriver(NvidiaDra.DRIVER)
                                .withPool(node)
                                .withDevice(device)
                                .build())
                        .endDevices()
                        .withNodeSelector(new NodeSelectorBuilder()
                                .addNewNodeSelectorTerm()
                                .addNewMatchField()
                                .withKey("metadata.name")
                                .withOperator("In")
                                .withValues(node)
                                .endMatchField()
                                .endNodeSelectorTerm()
                                .build())
                        // set by the writer: with DRADeviceBindingConditions (beta, on in 1.36) the scheduler fills
                        // a missing timestamp in when it reserves the claim, which the API server refuses as a change
                        // to the immutable allocation
                        .withAllocationTimestamp(java.time.Instant.now()
                                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                                .toString())
                        .build())
                .build());
        return client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .resource(current)
                .updateStatus();
    }
}
