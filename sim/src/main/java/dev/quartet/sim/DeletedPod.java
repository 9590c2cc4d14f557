package dev.quartet.sim;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A pod the simulator saw being deleted (deletion requested, evicted or removed) while it was Running: the evidence
 * tests use to prove no running replica was broken.
 *
 * @param owners     owner references as {@code Kind/name}
 * @param migDevice  its MIG devices as the node agent annotates them (NodeAgentReport.MIG_DEVICE), from the simulator's own record, or null
 */
public record DeletedPod(
        String namespace,
        String name,
        String uid,
        String node,
        Map<String, String> labels,
        List<String> owners,
        String migDevice,
        Instant at) {

    public DeletedPod {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        owners = List.copyOf(owners);
    }
}
