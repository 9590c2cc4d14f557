package dev.quartet.preview;

import dev.quartet.demand.DemandFactory;
import dev.quartet.demand.SpecValidator;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import dev.quartet.status.ConditionTypes;
import dev.quartet.status.Reasons;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One planning pass's input, derived from a cluster snapshot and every InferenceDeployment: the demands of the
 * plannable deployments (by {@code ns/name}), the inventory, and the failing replicas a scale-down releases first.
 * The operator, its admission webhook and {@code kubectl quartet} all derive it here, so that they plan alike.
 *
 * @param demands  the planner's demands by deployment id, in id order
 * @param replicas the replica pods (not terminating) of each deployment id, by pod id
 */
public record PlanningInput(
        Map<String, Demand> demands,
        Inventory inventory,
        Set<String> failing,
        Map<String, Set<String>> replicas,
        Map<String, InferenceDeployment> deployments) {

    public PlanningInput {
        demands = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(demands));
        failing = Set.copyOf(failing);
        replicas = Map.copyOf(replicas);
        deployments = Map.copyOf(deployments);
    }

    /** The input for {@code deployments} (every one in the served namespaces) on the cluster of {@code snapshot}. */
    public static PlanningInput of(
            ClusterSnapshot snapshot,
            Collection<InferenceDeployment> deployments,
            PlanningSettings settings,
            Instant now) {
        InventoryBuilder inventoryBuilder = settings.inventoryBuilder();
        List<GpuNode> gpuNodes = inventoryBuilder.gpuNodes(snapshot);
        Map<String, Demand> demands = new TreeMap<>();
        Map<String, InferenceDeployment> byId = new TreeMap<>();
        Map<List<Object>, java.util.Optional<Set<String>>> eligibility = new java.util.HashMap<>();
        for (InferenceDeployment d : deployments) {
            byId.put(DemandFactory.id(d), d);
            if (plannable(d)) {
                demands.put(DemandFactory.id(d), DemandFactory.demand(d, gpuNodes, eligibility));
            }
        }
        Inventory inventory = inventoryBuilder.build(snapshot, gpuNodes, new InventoryBuilder.Owners(demands), now);
        Map<String, Set<String>> replicas = new TreeMap<>();
        snapshot.pods().stream()
                .filter(p -> InventoryBuilder.deploymentOf(p) != null && !PodFacts.isTerminating(p))
                .forEach(p -> replicas.computeIfAbsent(InventoryBuilder.deploymentOf(p), k -> new TreeSet<>())
                        .add(PodFacts.id(p)));
        return new PlanningInput(demands, inventory, failing(snapshot.pods()), replicas, byId);
    }

    /**
     * Whether a deployment's replicas are planned: not being deleted, a valid name and spec, and not stopped by a
     * Service or PodDisruptionBudget of its name it does not own ({@code NameConflict}: it creates nothing until
     * that is gone, so it must not hold slices, or have others' replicas evicted, for replicas it will not create;
     * its reconcile, at least once a minute, clears the condition once the name is free).
     */
    public static boolean plannable(InferenceDeployment d) {
        if (d.getMetadata().getDeletionTimestamp() != null
                || !SpecValidator.validateDeployment(d).isEmpty()) {
            return false;
        }
        return d.getStatus() == null
                || d.getStatus().getConditions() == null
                || d.getStatus().getConditions().stream()
                        .noneMatch(c -> ConditionTypes.DEGRADED.equals(c.getType())
                                && "True".equals(c.getStatus())
                                && Reasons.NAME_CONFLICT.equals(c.getReason()));
    }

    /** Replica pods that are failing (not Ready after a restart): a scale-down releases them before healthy ones. */
    public static Set<String> failing(List<Pod> pods) {
        return pods.stream()
                .filter(p -> InventoryBuilder.deploymentOf(p) != null && PodFacts.isFailing(p))
                .map(PodFacts::id)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * {@code current} with {@code applied} created or replacing the deployment of the same id (which keeps the
     * stored status: a name conflict still holds), and without the ids in {@code deleted}; in id order.
     */
    public static List<InferenceDeployment> withChanges(
            Collection<InferenceDeployment> current,
            Collection<InferenceDeployment> applied,
            Collection<String> deleted) {
        Map<String, InferenceDeployment> byId = new TreeMap<>();
        current.forEach(d -> byId.put(DemandFactory.id(d), d));
        for (InferenceDeployment d : applied) {
            InferenceDeployment stored = byId.get(DemandFactory.id(d));
            if (stored != null && d.getStatus() == null) {
                d.setStatus(stored.getStatus());
            }
            byId.put(DemandFactory.id(d), d);
        }
        deleted.forEach(byId::remove);
        return new ArrayList<>(byId.values());
    }

    /**
     * The snapshot without the replica pods of the deleted deployments: the garbage collector removes them with
     * their owner, so their slices are free for the plan that follows a delete.
     */
    public static ClusterSnapshot withoutReplicasOf(ClusterSnapshot snapshot, Collection<String> deleted) {
        if (deleted.isEmpty()) {
            return snapshot;
        }
        List<Pod> pods = snapshot.pods().stream()
                .filter(p -> !deleted.contains(InventoryBuilder.deploymentOf(p)))
                .toList();
        // their claims go with them (each is owned by its replica pod)
        List<io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim> claims = snapshot.resourceClaims().stream()
                .filter(c -> c.getMetadata().getLabels() == null
                        || !QuartetLabels.MANAGED_BY_VALUE.equals(
                                c.getMetadata().getLabels().get(QuartetLabels.MANAGED_BY))
                        || !deleted.contains(c.getMetadata().getNamespace() + "/"
                                + c.getMetadata().getLabels().get(QuartetLabels.DEPLOYMENT)))
                .toList();
        return snapshot.withPods(pods, claims);
    }

    public ClusterState state() {
        return inventory.state();
    }

    /** The demands in id order, as the planner takes them. */
    public List<Demand> demandList() {
        return demands.values().stream()
                .sorted(Comparator.comparing(Demand::name))
                .toList();
    }

    public Plan plan(MigPlanner planner) {
        return planner.plan(state(), demandList(), failing);
    }
}
