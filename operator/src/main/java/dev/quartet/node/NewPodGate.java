package dev.quartet.node;

import dev.quartet.inventory.Inventory;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Plan;
import java.util.HashSet;
import java.util.Set;

/**
 * Whether a new replica pod asking for a profile may be created on a node now. The device plugin, not Quartet,
 * picks the slice: while a GPU of the node that still exposes slices of that profile waits to be repartitioned,
 * a new pod could land on it and pin its layout, so such pods wait; while a MIG mode change waits, every pod does.
 */
public final class NewPodGate {

    private NewPodGate() {}

    public static boolean allows(Plan plan, Inventory inventory, String node, String profile) {
        return inventory.takesNewPods(node) && !repartitionPending(plan, inventory, node, profile);
    }

    /**
     * Whether a GPU of {@code node} that now exposes {@code profile} slices is about to be repartitioned, or the
     * plan turns MIG mode on for a GPU of the node (a GPU reset, maybe a reboot: every pod on the node goes).
     */
    public static boolean repartitionPending(Plan plan, Inventory inventory, String node, String profile) {
        Set<Integer> changing = new HashSet<>();
        for (GpuPlan g : plan.gpus()) {
            if (g.node().equals(node) && g.repartition()) {
                changing.add(g.index());
            }
        }
        if (changing.isEmpty()) {
            return false;
        }
        if (changing.stream().anyMatch(inventory.migOff(node)::contains)) {
            return true;
        }
        for (NodeState n : inventory.state().nodes()) {
            if (n.name().equals(node)) {
                for (GpuState g : n.gpus()) {
                    if (changing.contains(g.index())
                            && g.instances().stream()
                                    .anyMatch(i -> i.isFree() && i.profile().equals(profile))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
