package dev.quartet.inventory;

import dev.quartet.planner.GpuState;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The planner's view of one node of NVIDIA's DRA driver: its GPUs are dynamic (only the instances claims hold are
 * listed; any free placement can be used at once), held by the replica whose claim it is, or by another workload.
 */
final class DraNodeView {

    private final GpuNode node;
    private final DraNode dra;
    private final Map<String, Pod> pods;
    private final InventoryBuilder.Owners owners;
    private NodeReadiness readiness = NodeReadiness.READY;
    private String note;

    /** @param pods every pod not finished, by {@code ns/name} */
    DraNodeView(GpuNode node, DraNode dra, Map<String, Pod> pods, InventoryBuilder.Owners owners) {
        this.node = node;
        this.dra = dra;
        this.pods = pods;
        this.owners = owners;
        if (!node.ready()) {
            fix(
                    NodeReadiness.NOT_READY,
                    "not Ready since " + node.readyChangedAt() + "; its replicas are replaced if it" + " stays so");
        }
        if (!node.schedulable()) {
            fix(NodeReadiness.CORDONED, "cordoned");
        }
        if (!dra.complete()) {
            // the scheduler uses only complete pools: a claim allocated there now would not be scheduled
            fix(NodeReadiness.SETTLING, "the DRA driver's ResourceSlices of this node are not all published yet");
        }
    }

    NodeReadiness readiness() {
        return readiness;
    }

    String note() {
        return note;
    }

    NodeState state() {
        List<List<InstanceState>> perGpu = new ArrayList<>();
        List<Integer> minors = new ArrayList<>(dra.gpus().keySet());
        minors.forEach(m -> perGpu.add(new ArrayList<>()));
        for (DraNode.Held h : dra.held()) {
            List<InstanceState> gpu = perGpu.get(minors.indexOf(h.gpu()));
            InstanceState s = held(h);
            int size = node.model().requireProfile(h.profile()).memorySlices();
            InstanceState clash = gpu.stream()
                    .filter(o -> o.start() < h.start() + size
                            && h.start()
                                    < o.start()
                                            + node.model()
                                                    .requireProfile(o.profile())
                                                    .memorySlices())
                    .findFirst()
                    .orElse(null);
            if (clash != null) {
                // two allocations of one placement (a claim another writer allocated meanwhile): the driver will
                // fail the second prepare; plan with the first, take no new pods until one is released
                fix(
                        NodeReadiness.SETTLING,
                        "GPU " + h.gpu() + ": " + s.replica() + " and " + clash.replica()
                                + " are allocated overlapping placements");
                continue;
            }
            gpu.add(s);
        }
        List<GpuState> gpus = new ArrayList<>();
        for (int i = 0; i < minors.size(); i++) {
            gpus.add(new GpuState(minors.get(i), node.model(), perGpu.get(i), false, true));
        }
        // A node that takes no new pods keeps its claims' placements; no free placement is planned there.
        boolean closed = readiness != NodeReadiness.READY;
        return new NodeState(node.name(), closed ? closedGpus(gpus) : gpus, closed);
    }

    /** Every free placement held by a placeholder, as a cordoned MIG Manager node's free instances are. */
    private List<GpuState> closedGpus(List<GpuState> gpus) {
        List<GpuState> closed = new ArrayList<>();
        for (GpuState g : gpus) {
            List<InstanceState> instances = new ArrayList<>(g.instances());
            int[] used = new int[node.model().memorySlices()];
            g.instances().forEach(s -> {
                for (int k = 0; k < node.model().requireProfile(s.profile()).memorySlices(); k++) {
                    used[s.start() + k] = 1;
                }
            });
            String smallest = node.model().profiles().get(0).name();
            for (int start : node.model().requireProfile(smallest).starts()) {
                if (used[start] == 0) {
                    instances.add(new InstanceState(
                            smallest,
                            start,
                            "unavailable/" + node.name() + "/" + g.index() + "@" + start,
                            null,
                            false));
                }
            }
            closed.add(new GpuState(g.index(), g.model(), instances, true, true));
        }
        return closed;
    }

    /**
     * The claim's holder: the Quartet replica it was made for while that pod lives (bound or about to be), else
     * the pod that reserves it, else the claim itself (an allocation nobody uses yet, or one being released).
     */
    private InstanceState held(DraNode.Held h) {
        ResourceClaim c = h.claim();
        Pod replica = h.replica() == null ? null : pods.get(h.replica());
        if (replica != null && !PodFacts.isTerminating(replica)) {
            String deployment = InventoryBuilder.deploymentOf(replica);
            boolean ours = deployment != null && owners.counts(deployment, h.profile(), node.model());
            return new InstanceState(
                    h.profile(),
                    h.start(),
                    PodFacts.id(replica),
                    ours ? deployment : null,
                    ours && owners.movable(deployment));
        }
        if (c == null) {
            return new InstanceState(h.profile(), h.start(), "planned " + h.replica(), null, false);
        }
        String ns = c.getMetadata().getNamespace();
        String holder = "claim " + ns + "/" + c.getMetadata().getName();
        if (c.getStatus().getReservedFor() != null) {
            for (ResourceClaimConsumerReference r : c.getStatus().getReservedFor()) {
                if ("pods".equals(r.getResource()) && pods.containsKey(ns + "/" + r.getName())) {
                    holder = ns + "/" + r.getName();
                }
            }
        }
        return new InstanceState(h.profile(), h.start(), holder, null, false);
    }

    private void fix(NodeReadiness r, String why) {
        if (readiness == NodeReadiness.READY) {
            readiness = r;
        }
        if (note == null) {
            note = why;
        }
    }
}
