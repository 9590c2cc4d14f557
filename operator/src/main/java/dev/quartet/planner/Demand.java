package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.Optional;
import java.util.Set;

/**
 * What one InferenceDeployment asks for: a profile name or a memory need in GiB (then the smallest fitting
 * profile of each GPU model), replicas, priority (higher first), an optional GPU model, whether its running
 * replicas may be moved, placement, the nodes new replicas may go to ({@code null} = every node) and the nodes its
 * running replicas may stay on ({@code null} = the same; a NoSchedule taint keeps new replicas off a node but
 * does not evict the ones running there), and whether a scale-down releases first the replicas whose removal frees a
 * whole GPU ({@code freeGpusFirst}: autoscaled deployments, whose replicas come and go with the load, so the next
 * repartition finds empty GPUs; otherwise what stays is as spread, or packed, as possible).
 */
public record Demand(
        String name,
        String profile,
        Integer memoryGiB,
        int replicas,
        int priority,
        GpuModel gpuModel,
        boolean movable,
        Placement placement,
        Set<String> eligibleNodes,
        Set<String> keepNodes,
        boolean freeGpusFirst) {

    public Demand {
        placement = placement == null ? Placement.SPREAD : placement;
        eligibleNodes = eligibleNodes == null ? null : Set.copyOf(eligibleNodes);
        keepNodes = keepNodes == null ? null : Set.copyOf(keepNodes);
    }

    /** A demand whose scale-down keeps spread (or pack) first. */
    public Demand(
            String name,
            String profile,
            Integer memoryGiB,
            int replicas,
            int priority,
            GpuModel gpuModel,
            boolean movable,
            Placement placement,
            Set<String> eligibleNodes,
            Set<String> keepNodes) {
        this(
                name,
                profile,
                memoryGiB,
                replicas,
                priority,
                gpuModel,
                movable,
                placement,
                eligibleNodes,
                keepNodes,
                false);
    }

    /** A demand whose running replicas may stay where new ones may go. */
    public Demand(
            String name,
            String profile,
            Integer memoryGiB,
            int replicas,
            int priority,
            GpuModel gpuModel,
            boolean movable,
            Placement placement,
            Set<String> eligibleNodes) {
        this(name, profile, memoryGiB, replicas, priority, gpuModel, movable, placement, eligibleNodes, null);
    }

    /** A demand for {@code replicas} replicas of a named profile, spread, not movable, on any node. */
    public static Demand ofProfile(String name, String profile, int replicas, int priority) {
        return new Demand(name, profile, null, replicas, priority, null, false, Placement.SPREAD, null);
    }

    /**
     * The profile this demand uses on a GPU of {@code model}: its named profile, or the smallest that holds its
     * memory; empty where it cannot run on that model.
     */
    public Optional<String> profileOn(GpuModel model) {
        return ResolvedDemand.resolve(this, model).map(MigProfile::name);
    }

    public boolean eligible(String node) {
        return eligibleNodes == null || eligibleNodes.contains(node);
    }

    /** Whether a running replica of this demand may stay on {@code node}. */
    public boolean mayKeep(String node) {
        return keepNodes == null ? eligible(node) : keepNodes.contains(node);
    }
}
