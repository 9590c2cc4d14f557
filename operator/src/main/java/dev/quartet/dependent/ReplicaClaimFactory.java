package dev.quartet.dependent;

import dev.quartet.inventory.QuartetLabels;
import dev.quartet.nvidia.NvidiaDra;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * The ResourceClaim of a replica on a node of NVIDIA's DRA driver, and the allocation Quartet writes into it.
 *
 * <p>The claim asks for one device of NVIDIA's MIG class, its CEL selector pinning the parent GPU and the profile:
 * the most a selector can pin (no attribute carries the placement, and CEL cannot see device names). The placement is
 * landed by writing {@code status.allocation} before the pod can be scheduled; the scheduler then only checks that
 * the pod fits where the claim is allocated. The claim is owned by its replica pod (as a claim made from a pod's
 * ResourceClaimTemplate is): the garbage collector deletes it with the pod, the resource-claim controller releases
 * the allocation when the pod is gone, and a replica that is moved or rolled takes its claim with it, with no
 * bookkeeping of Quartet's. An InferenceDeployment as owner would keep a deleted replica's placement held until
 * Quartet deleted the claim itself.
 */
public final class ReplicaClaimFactory {

    /** The name of the claim's one request, and of the pod's claim entry. */
    public static final String REQUEST = "mig";

    /** The finalizer the scheduler puts on a claim before it allocates it (resourceapi.Finalizer). */
    public static final String DELETE_PROTECTION = "resource.kubernetes.io/delete-protection";

    private ReplicaClaimFactory() {}

    /** The claim of replica pod {@code pod}. */
    public static String claimName(String pod) {
        return pod + "-mig";
    }

    /** The claim for a created replica pod (its uid is the owner's): one MIG device of this GPU and profile. */
    public static ResourceClaim desired(Pod pod, String deployment, String parentUuid, String profile) {
        return new ResourceClaimBuilder()
                .withNewMetadata()
                .withNamespace(pod.getMetadata().getNamespace())
                .withName(claimName(pod.getMetadata().getName()))
                .withLabels(Map.of(
                        QuartetLabels.MANAGED_BY,
                        QuartetLabels.MANAGED_BY_VALUE,
                        QuartetLabels.DEPLOYMENT,
                        deployment,
                        QuartetLabels.REPLICA,
                        pod.getMetadata().getName()))
                .addNewOwnerReference()
                .withApiVersion("v1")
                .withKind("Pod")
                .withName(pod.getMetadata().getName())
                .withUid(pod.getMetadata().getUid())
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .withNewDevices()
                .addNewRequest()
                .withName(REQUEST)
                .withNewExactly()
                .withDeviceClassName(NvidiaDra.MIG_DEVICE_CLASS)
                .addNewSelector()
                .withNewCel(NvidiaDra.selectorFor(parentUuid, profile))
                .endSelector()
                .endExactly()
                .endRequest()
                .endDevices()
                .endSpec()
                .build();
    }

    /**
     * The allocation of the claim's request to {@code device} of {@code node}'s pool, as the scheduler writes one:
     * the result, a node selector for that node, and the allocation time (set by the writer: with
     * DRADeviceBindingConditions, beta and on in 1.36, the scheduler fills a missing one in when it reserves the
     * claim, which the API server refuses as a change to the immutable allocation).
     */
    public static AllocationResult allocation(String node, String device, Instant now) {
        return new AllocationResultBuilder()
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
                .withAllocationTimestamp(now.truncatedTo(ChronoUnit.SECONDS).toString())
                .build();
    }
}
