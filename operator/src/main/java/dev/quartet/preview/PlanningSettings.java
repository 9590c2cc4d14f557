package dev.quartet.preview;

import dev.quartet.inventory.AgentReports;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.NodeBackend;
import dev.quartet.planner.MigPlanner;
import java.time.Duration;

/**
 * The operator settings that change what a plan is. The operator, its admission webhook and {@code kubectl quartet}
 * plan with the same ones, so that they plan the same.
 *
 * @param repartitionEnabled    {@code quartet.mig-manager.repartition-enabled}
 * @param nodeLostAfter         {@code quartet.node-lost-after}
 * @param idleGpuCoverMinSlices {@code quartet.planner.idle-gpu-cover-min-slices}
 * @param allowMigModeChange    {@code quartet.mig-manager.allow-mig-mode-change}: whether a GPU with MIG mode off is
 *                              capacity (turning MIG on resets the GPU; the chart's default is false)
 * @param backend               {@code quartet.backend}: which nodes are used, MIG Manager's, the DRA driver's or both
 * @param agentReports          {@code quartet.node-agent.reports}: which nodes' node agent reports are taken
 */
public record PlanningSettings(
        boolean repartitionEnabled,
        Duration nodeLostAfter,
        int idleGpuCoverMinSlices,
        boolean allowMigModeChange,
        NodeBackend.Choice backend,
        AgentReports agentReports) {

    /** Settings that take every node's agent annotations as written ({@code quartet.node-agent.reports=annotations}). */
    public PlanningSettings(
            boolean repartitionEnabled,
            Duration nodeLostAfter,
            int idleGpuCoverMinSlices,
            boolean allowMigModeChange,
            NodeBackend.Choice backend) {
        this(
                repartitionEnabled,
                nodeLostAfter,
                idleGpuCoverMinSlices,
                allowMigModeChange,
                backend,
                AgentReports.ANNOTATIONS);
    }

    /** Settings that take each node as it offers itself ({@code quartet.backend=auto}). */
    public PlanningSettings(
            boolean repartitionEnabled, Duration nodeLostAfter, int idleGpuCoverMinSlices, boolean allowMigModeChange) {
        this(repartitionEnabled, nodeLostAfter, idleGpuCoverMinSlices, allowMigModeChange, NodeBackend.Choice.AUTO);
    }

    /** Settings that never change a GPU's MIG mode (the chart's default). */
    public PlanningSettings(boolean repartitionEnabled, Duration nodeLostAfter, int idleGpuCoverMinSlices) {
        this(repartitionEnabled, nodeLostAfter, idleGpuCoverMinSlices, false);
    }

    /** The operator's defaults. */
    public static final PlanningSettings DEFAULTS = new PlanningSettings(
            true, InventoryBuilder.DEFAULT_LOST_AFTER, MigPlanner.Options.DEFAULT.idleGpuCoverMinSlices());

    public InventoryBuilder inventoryBuilder() {
        return new InventoryBuilder(repartitionEnabled, allowMigModeChange, nodeLostAfter, backend, agentReports);
    }

    public MigPlanner planner() {
        return new MigPlanner(new MigPlanner.Options(idleGpuCoverMinSlices));
    }
}
