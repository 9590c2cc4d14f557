package dev.quartet.node;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.planner.Plan;
import dev.quartet.status.NodeProgress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The seam through which planned GPU layouts reach the hardware, one node at a time. Today: NVIDIA MIG Manager (a
 * mig-parted ConfigMap and node labels, {@link MigManagerBackend}); later NVIDIA's DRA driver, chosen per node from
 * what the node offers, behind the same call. Every call is idempotent and derives what to do from the cluster, so a
 * restarted operator resumes where the last one stopped. Only the node loop calls it: planning never writes.
 */
public interface MigBackend {

    /**
     * Moves node {@code node} one step towards its planned layouts and reports where it stands.
     *
     * @throws StepFailed when the API server refused a write; the report names the deployments the change affects
     */
    Report reconcileNode(String node, Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now);

    /**
     * What one step reports: the node's progress for the deployments it affects (empty: nothing under way there), and
     * when to look again if nothing else happens first (a propagation delay, a watchdog, a back-off ending).
     */
    record Report(Optional<NodeProgress> progress, Optional<Duration> recheckAfter) {
        public static final Report NOTHING = new Report(Optional.empty(), Optional.empty());
    }

    /** A write of a node's step failed; {@link #report()} is what the affected deployments say meanwhile. */
    final class StepFailed extends RuntimeException {
        private final transient NodeProgress report;

        public StepFailed(NodeProgress report, RuntimeException cause) {
            super(report.message(), cause);
            this.report = report;
        }

        public NodeProgress report() {
            return report;
        }
    }
}
