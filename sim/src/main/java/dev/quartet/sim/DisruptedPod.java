package dev.quartet.sim;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A running pod that the simulated node broke without anyone deleting it: its device was destroyed under it by a
 * reconfiguration, or the node rebooted. The evidence tests use to prove Quartet never let that happen to a replica.
 *
 * @param owners    owner references as {@code Kind/name}
 * @param migDevice its MIG devices as the node agent annotates them (NodeAgentReport.MIG_DEVICE), from the simulator's own record, or null
 * @param detail    the destroyed device's UUIDs, or what happened to the pod after the reboot
 */
public record DisruptedPod(
        String namespace,
        String name,
        String uid,
        String node,
        Map<String, String> labels,
        List<String> owners,
        String migDevice,
        Disruption disruption,
        String detail,
        Instant at) {

    public DisruptedPod {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        owners = List.copyOf(owners);
    }

    /** What happened to the pod. */
    public enum Disruption {
        /**
         * A GPU or compute instance it was given was destroyed (mig-parted destroys instances that have no process on
         * them). The pod keeps running; its container keeps the stale device until it restarts, and a restart fails.
         */
        DEVICE_DESTROYED,
        /** MIG Manager rebooted the node: every container ended; pods with GPU requests fail admission at boot. */
        NODE_REBOOTED
    }
}
