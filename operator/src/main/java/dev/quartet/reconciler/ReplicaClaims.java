package dev.quartet.reconciler;

import dev.quartet.dependent.ReplicaClaimFactory;
import dev.quartet.inventory.DraNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.node.NewPodGate;
import dev.quartet.nvidia.DraMigDevice;
import dev.quartet.nvidia.MigProfile;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSchedulingGate;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Carries a replica pod on a node of NVIDIA's DRA driver from created to schedulable, each step idempotent so that
 * a reconcile cut short resumes: its claim created (owned by the pod), the scheduler's delete-protection finalizer
 * put on it, the planned allocation written into its status, and then the pod's scheduling gate removed. Until the
 * gate goes the scheduler ignores the pod, so its first fit never allocates the claim to another device.
 */
@ApplicationScoped
public class ReplicaClaims {

    /** Where a gated replica stands after a pass. */
    public enum Outcome {
        /** Its claim is allocated as planned and the gate is gone: the scheduler binds it to the node. */
        RELEASED,
        /** Not yet (a stale claim of the same name being deleted): the next reconcile goes on. */
        WAITING,
        /** Another claim holds part of the planned placement: the pod must go, the plan places the replica again. */
        PLACEMENT_TAKEN
    }

    @Inject
    KubernetesClient client;

    /** Whether {@code pod} still waits behind Quartet's scheduling gate. */
    public static boolean gated(Pod pod) {
        return pod.getSpec() != null
                && pod.getSpec().getSchedulingGates() != null
                && pod.getSpec().getSchedulingGates().stream()
                        .anyMatch(g -> QuartetLabels.CLAIM_GATE.equals(g.getName()));
    }

    /** The planned device of a replica pod on a DRA node, from its annotation. */
    public static Optional<DraMigDevice> plannedDevice(Pod pod) {
        return Optional.ofNullable(pod.getMetadata().getAnnotations())
                .map(a -> a.get(QuartetLabels.PLANNED_DEVICE))
                .flatMap(DraMigDevice::parse);
    }

    /**
     * One allocation at a time, each checked against the claims and Quartet's replica pods as the API server has them
     * now (the caches may not show the allocation another deployment's reconcile wrote a moment ago).
     */
    public synchronized Outcome release(Pod pod, Inventory inventory, Instant now) {
        String ns = pod.getMetadata().getNamespace();
        String node = PodFacts.plannedNode(pod);
        DraNode dra = inventory.draNodes().get(node);
        Optional<DraMigDevice> device = plannedDevice(pod);
        Optional<MigProfile> profile = device.flatMap(d -> dra == null ? Optional.empty() : d.profileOn(dra.model()));
        if (dra == null
                || profile.isEmpty()
                || !dra.gpus().containsKey(device.get().gpuMinor())) {
            return Outcome.PLACEMENT_TAKEN;
        }
        var claims = client.dynamicResourceAllocation().v1().resourceClaims().inNamespace(ns);
        String name = ReplicaClaimFactory.claimName(pod.getMetadata().getName());
        ResourceClaim claim = claims.withName(name).get();
        if (claim != null && !ownedBy(claim, pod)) {
            // a claim of an earlier pod of this name: the garbage collector removes it; make sure, and wait
            claims.withName(name).delete();
            return Outcome.WAITING;
        }
        boolean allocated = claim != null && !DraNode.results(claim).isEmpty();
        if (!allocated) {
            if (!NewPodGate.placementFree(
                            inventory,
                            node,
                            device.get().gpuMinor(),
                            profile.get().name(),
                            device.get().start(),
                            PodFacts.id(pod))
                    || takenNow(dra, pod, device.get(), profile.get())) {
                return Outcome.PLACEMENT_TAKEN;
            }
            if (claim == null) {
                claim = claims.resource(ReplicaClaimFactory.desired(
                                pod,
                                pod.getMetadata().getLabels().get(QuartetLabels.DEPLOYMENT),
                                dra.gpus().get(device.get().gpuMinor()),
                                profile.get().name()))
                        .create();
            }
            claim = allocate(claim, node, device.get().name(), now);
            Log.infof(
                    "%s/%s: claim %s allocated to %s of %s as planned",
                    ns, InventoryBuilder.deploymentOf(pod), name, device.get().name(), node);
        }
        client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).edit(p -> {
            List<PodSchedulingGate> gates = new ArrayList<>(p.getSpec().getSchedulingGates());
            gates.removeIf(g -> QuartetLabels.CLAIM_GATE.equals(g.getName()));
            p.getSpec().setSchedulingGates(gates);
            return p;
        });
        return Outcome.RELEASED;
    }

    /**
     * As the scheduler does (dynamicresources.go bindClaim): the finalizer first, in a normal update, so that an
     * allocated claim is never deleted before it is released; then the allocation, in a status update.
     */
    private ResourceClaim allocate(ResourceClaim claim, String node, String device, Instant now) {
        var claims = client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inNamespace(claim.getMetadata().getNamespace());
        List<String> finalizers = claim.getMetadata().getFinalizers() == null
                ? new ArrayList<>()
                : new ArrayList<>(claim.getMetadata().getFinalizers());
        if (!finalizers.contains(ReplicaClaimFactory.DELETE_PROTECTION)) {
            finalizers.add(ReplicaClaimFactory.DELETE_PROTECTION);
            claim.getMetadata().setFinalizers(finalizers);
            claim = claims.resource(claim).update();
        }
        ResourceClaimStatus status = claim.getStatus() == null ? new ResourceClaimStatus() : claim.getStatus();
        status.setAllocation(ReplicaClaimFactory.allocation(node, device, now));
        claim.setStatus(status);
        try {
            return claims.resource(claim).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403 || e.getCode() == 422) {
                Log.warnf(
                        "claim %s/%s: writing its allocation to %s was refused; the operator needs update on"
                                + " resourceclaims/status and (Kubernetes 1.36+) on resourceclaims/binding, as the"
                                + " chart grants",
                        claim.getMetadata().getNamespace(), claim.getMetadata().getName(), device);
            }
            throw e;
        }
    }

    private boolean takenNow(DraNode dra, Pod pod, DraMigDevice device, MigProfile profile) {
        List<ResourceClaim> claims = client.dynamicResourceAllocation()
                .v1()
                .resourceClaims()
                .inAnyNamespace()
                .list()
                .getItems();
        List<Pod> replicas = client.pods()
                .inAnyNamespace()
                .withLabel(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .list()
                .getItems();
        return dra.holding(claims, replicas)
                .overlapsHeld(device.gpuMinor(), profile.name(), device.start(), PodFacts.id(pod));
    }

    private static boolean ownedBy(ResourceClaim claim, Pod pod) {
        return claim.getMetadata().getOwnerReferences() != null
                && claim.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> pod.getMetadata().getUid().equals(o.getUid()));
    }
}
