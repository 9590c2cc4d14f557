package dev.quartet.inventory;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfileTable;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NodeAgentReport.Gpu;
import dev.quartet.nvidia.NodeAgentReport.ProfileTable;
import dev.quartet.planner.LayoutCatalog;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The GPU model of a node whose GFD product ({@code nvidia.com/gpu.product}) is no built-in model: the one its node
 * agent describes (docs/contracts.md, "Node annotations of the node agent"). Every GPU of the agent's
 * {@code quartet.dev/mig-layout} must be of one product, that product written with dashes for spaces must be the GFD
 * label, and {@code quartet.dev/mig-profiles} must hold a usable profile table for it; the model is then
 * {@link GpuModel#ofReported} of that product, table and the GPUs' memory. Otherwise the node is not planned, and
 * {@link #problem} says why. Pure, but for registering the model (interned: the same report gives the same model).
 *
 * @param model the model, or null
 * @param problem why there is none, or null
 */
public record ReportedGpuModel(GpuModel model, String problem) {

    /** The model a node's agent report describes for GFD product {@code product}, or why there is none. */
    public static ReportedGpuModel of(String node, String product, Map<String, String> annotations) {
        String unknown = "GPU product " + product + " is not one of Quartet's models (" + GpuModel.legalNames() + ")";
        AgentReport report = AgentReport.of(node, annotations, -1);
        if (!report.present()) {
            return refused(unknown + " and the node has no node agent report to describe it"
                    + (report.problem() == null ? "" : " (" + report.problem() + ")"));
        }
        List<Gpu> gpus = report.layout().orElseThrow().gpus();
        List<String> products =
                gpus.stream().map(Gpu::product).distinct().sorted().toList();
        if (gpus.isEmpty() || products.size() != 1 || products.get(0) == null) {
            return refused(unknown + " and the node agent reports GPUs of products " + products + ", not one");
        }
        String reported = products.get(0);
        if (!reported.trim().replace(' ', '-').toUpperCase(Locale.ROOT).equals(product.toUpperCase(Locale.ROOT))) {
            return refused(unknown + " and the node agent reports product " + reported + ", which GFD would label "
                    + reported.trim().replace(' ', '-'));
        }
        ProfileTable table = report.profiles().get(reported);
        if (table == null) {
            return refused(unknown + " and the node agent reports no MIG profile table for " + reported + " in "
                    + NodeAgentReport.MIG_PROFILES + (report.problem() == null ? "" : " (" + report.problem() + ")"));
        }
        MigProfileTable mig;
        try {
            mig = table.migTable();
        } catch (IllegalArgumentException e) {
            return refused(unknown + " and the MIG profile table the node agent reports for it is not usable: "
                    + e.getMessage());
        }
        String unplannable = LayoutCatalog.problem(mig);
        if (unplannable != null) {
            return refused(unknown + "; the node agent reports its MIG profile table, but " + unplannable);
        }
        long memoryMiB = memoryMiB(gpus, table);
        if (memoryMiB < 1 || memoryMiB > Integer.MAX_VALUE) {
            return refused(unknown + " and the node agent reports no memory size for it");
        }
        try {
            return new ReportedGpuModel(GpuModel.ofReported(reported, mig, (int) memoryMiB), null);
        } catch (IllegalStateException e) {
            return refused(unknown + ": " + e.getMessage());
        }
    }

    /** The GPUs' memory as the layout reports it (the smallest, should they differ), else the table's. */
    private static long memoryMiB(List<Gpu> gpus, ProfileTable table) {
        Optional<Long> layout =
                gpus.stream().map(Gpu::memoryMiB).filter(m -> m > 0).min(Long::compare);
        return layout.orElse(table.memoryMiB());
    }

    private static ReportedGpuModel refused(String problem) {
        return new ReportedGpuModel(null, problem + "; the node is not planned");
    }
}
