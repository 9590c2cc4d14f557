package dev.quartet.reconciler;

import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.planner.Demand;
import dev.quartet.planner.Plan;
import dev.quartet.preview.FitAdvisor;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.PlanningSettings;
import dev.quartet.status.NodeProgress;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * One planning pass's result, shared by every reconcile until the cluster changes: the planning input (the demands
 * of the valid deployments by {@code ns/name}, the inventory), the plan, node progress, and what would fit each
 * short deployment (found on first use, once per plan).
 */
public record ClusterView(
        PlanningInput input,
        Plan plan,
        Map<String, NodeProgress> nodeProgress,
        Map<String, List<Pod>> podsByDeployment,
        Instant at,
        Advice advice) {

    /** Planning time spent finding what would fit one short deployment, at most. */
    static final Duration ADVICE_BUDGET = Duration.ofSeconds(10);

    public ClusterView {
        nodeProgress = Map.copyOf(nodeProgress);
        podsByDeployment = Map.copyOf(podsByDeployment);
    }

    /** A view with advice of its own (no earlier view planned the same). */
    public ClusterView(
            PlanningInput input,
            Plan plan,
            Map<String, NodeProgress> nodeProgress,
            Map<String, List<Pod>> podsByDeployment,
            Instant at,
            PlanningSettings settings) {
        this(input, plan, nodeProgress, podsByDeployment, at, new Advice(settings));
    }

    /** What would fit each short deployment of one plan: the planner run again, so computed once per deployment. */
    public static final class Advice {
        private final FitAdvisor advisor;
        private final Map<String, List<String>> found = new ConcurrentHashMap<>();

        Advice(PlanningSettings settings) {
            advisor = new FitAdvisor(settings.planner(), ADVICE_BUDGET);
        }

        List<String> wouldFit(PlanningInput input, Plan plan, String deployment) {
            return found.computeIfAbsent(deployment, d -> advisor.wouldFit(input, plan, d));
        }
    }

    static Map<String, List<Pod>> groupReplicaPods(List<Pod> pods) {
        return pods.stream()
                .filter(p -> InventoryBuilder.deploymentOf(p) != null)
                .collect(Collectors.groupingBy(InventoryBuilder::deploymentOf));
    }

    /** The demands planned, of the valid deployments, by {@code ns/name}. */
    public Map<String, Demand> demands() {
        return input.demands();
    }

    public Inventory inventory() {
        return input.inventory();
    }

    /** Replica pods (including terminating ones) of the deployment {@code ns/name}. */
    public List<Pod> podsOf(String deployment) {
        return podsByDeployment.getOrDefault(deployment, List.of());
    }

    /** What would fit the replicas the plan leaves {@code deployment} short of, in words; empty if none. */
    public List<String> wouldFit(String deployment) {
        return plan.unsatisfied().stream().anyMatch(u -> u.demand().equals(deployment))
                ? advice.wouldFit(input, plan, deployment)
                : List.of();
    }
}
