package dev.quartet.node;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.planner.Plan;
import dev.quartet.status.NodeProgress;
import java.time.Instant;
import java.util.Map;

/**
 * The seam through which planned GPU layouts reach the hardware. Today: NVIDIA MIG Manager (a mig-parted
 * ConfigMap and node labels); later possibly NVIDIA's DRA driver. Every call is idempotent and derives what
 * to do from the cluster, so a restarted operator resumes where the last one stopped.
 */
public interface MigBackend {

    /** Moves every node whose planned layout differs from its current one one step further; reports progress. */
    Map<String, NodeProgress> reconcile(Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now);
}
