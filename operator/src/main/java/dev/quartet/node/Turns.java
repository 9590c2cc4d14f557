package dev.quartet.node;

import dev.quartet.inventory.GpuNode;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which nodes may repartition now: at most {@code max-concurrent-repartitions} at a time. A node holds a turn from the
 * moment its config is staged until MIG Manager's success is verified or its rollback is applied; a node where MIG
 * Manager is {@code pending} or {@code rebooting} counts too, whoever chose its config (a rollback, an administrator's
 * relabel). Free turns go to the waiting nodes in name order, so every node's reconcile, reading the same cluster,
 * gives them to the same nodes. Pure.
 */
final class Turns {

    private Turns() {}

    /** Whether a node with these records holds a turn. */
    static boolean holds(NodeRecords r, Instant now) {
        return r.busy() || r.stage(false, now).holdsTurn();
    }

    /** The nodes among {@code nodes} that hold a turn. */
    static Set<String> holders(Collection<GpuNode> nodes, Instant now) {
        Set<String> holders = new TreeSet<>();
        nodes.stream().filter(n -> holds(NodeRecords.of(n), now)).forEach(n -> holders.add(n.name()));
        return holders;
    }

    /**
     * Whether {@code node} may act now: it holds a turn, or it is among the first of the nodes {@code wanting} one (in
     * name order) that the turns left free by {@code holders} can take.
     */
    static boolean available(String node, Set<String> holders, Collection<String> wanting, int max) {
        if (holders.contains(node)) {
            return true;
        }
        List<String> waiting = new TreeSet<>(wanting)
                .stream().filter(n -> !holders.contains(n)).toList();
        int free = max - holders.size();
        int at = waiting.indexOf(node);
        return at >= 0 && at < free;
    }
}
