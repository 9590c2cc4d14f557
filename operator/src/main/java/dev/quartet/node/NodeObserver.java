package dev.quartet.node;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.node.NodeObservation.Drain;
import dev.quartet.node.NodeObservation.RollbackTarget;
import dev.quartet.node.NodeObservation.Settings;
import dev.quartet.node.NodeObservation.Target;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Reads one node's {@link NodeObservation} and {@link NodeStage} from a snapshot, the plan and the inventory. It writes
 * nothing; it only fills {@link MigConfigStore}'s memory of config contents from what it reads (the ConfigMap, the
 * contents recorded on nodes), which a restarted operator refills the same way.
 */
final class NodeObserver {

    private final QuartetConfig.MigManager config;
    private final MigConfigStore store;

    NodeObserver(QuartetConfig.MigManager config, MigConfigStore store) {
        this.config = config;
        this.store = store;
    }

    /** A node's stage with what is observed of it. */
    record Observed(NodeStage stage, NodeObservation observation, GpuNode node) {}

    Optional<Observed> observe(String name, Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now) {
        GpuNode node = inventory.nodes().get(name);
        if (node == null) {
            return Optional.empty();
        }
        NodeRecords records = NodeRecords.of(node);
        // First: it fills the store's memory of config contents that the rest reads.
        Set<String> missing = missingConfigs(node, snapshot);
        boolean lost = inventory.lostNodes().contains(name);
        Optional<Target> target = lost || !config.repartitionEnabled()
                ? Optional.empty()
                : target(node, plan, inventory, snapshot.migConfig());
        List<Integer> changing = changingGpus(node, records, target, snapshot.migConfig());
        NodeStage stage = records.stage(NodeDrain.held(name, changing, snapshot), now);
        Drain drain = target.map(t -> NodeDrain.of(node, changing, t.modeChange(), plan, inventory, snapshot))
                .orElse(new Drain.Clear());
        // MIG Manager busy with a config Quartet did not select (an administrator's): the node waits until it is done.
        boolean turn = !lost
                && !(stage == NodeStage.IDLE && records.busy())
                && Turns.available(
                        name,
                        Turns.holders(
                                inventory.nodes().values().stream()
                                        .filter(n -> !inventory.lostNodes().contains(n.name()))
                                        .toList(),
                                now),
                        wanting(plan, inventory),
                        config.maxConcurrentRepartitions());
        MigPartedConfig file = snapshot.migConfig();
        LayoutCheck.Verdict layout = LayoutCheck.verify(
                records.selected(),
                LayoutCheck.expected(node, records.selected(), contentOf(records.selected(), file)),
                LayoutCheck.Observed.of(node, snapshot.pods()));
        NodeObservation observation = new NodeObservation(
                name,
                records,
                target,
                drain,
                lost ? List.of() : NodeDrain.displaced(name, changing, plan, inventory, snapshot),
                turn,
                layout,
                rollbackTarget(records, file),
                affected(name, changing, target, plan, inventory, snapshot),
                changing,
                missing,
                records.selected() != null && file != null && file.configs().containsKey(records.selected()),
                now,
                settings(config));
        return Optional.of(new Observed(stage, observation, node));
    }

    static Settings settings(QuartetConfig.MigManager config) {
        return new Settings(
                config.configPropagationDelay(),
                config.repartitionTimeout(),
                config.retryBackoff(),
                config.layoutVerifyTimeout(),
                config.maxConcurrentRepartitions(),
                config.allowMigModeChange());
    }

    /** The config that gives the node its planned layout, when the plan repartitions any of its GPUs. */
    private static Optional<Target> target(GpuNode node, Plan plan, Inventory inventory, MigPartedConfig file) {
        List<Integer> gpus = plan.gpus().stream()
                .filter(g -> g.node().equals(node.name()) && g.repartition())
                .map(GpuPlan::index)
                .sorted()
                .toList();
        if (gpus.isEmpty() || !inventory.nodes().containsKey(node.name())) {
            return Optional.empty();
        }
        Set<Integer> migOff = inventory.migOff(node.name());
        List<MigConfigSpec> groups = TargetConfig.groups(node, plan, file, migOff);
        Set<Integer> modeChange = new TreeSet<>(gpus);
        modeChange.retainAll(migOff);
        return Optional.of(new Target(MigPartedConfigWriter.configName(groups), groups, gpus, modeChange));
    }

    /** Nodes the plan repartitions (lost ones excepted): they want a turn. */
    private static Set<String> wanting(Plan plan, Inventory inventory) {
        Set<String> nodes = new TreeSet<>();
        plan.gpus().stream()
                .filter(g -> g.repartition()
                        && inventory.nodes().containsKey(g.node())
                        && !inventory.lostNodes().contains(g.node()))
                .forEach(g -> nodes.add(g.node()));
        return nodes;
    }

    /**
     * The GPUs that change: the target's (all of the node's when MIG mode changes: the GPU reset, or the reboot, takes
     * every instance), else those whose entry differs between the config MIG Manager is asked for and the last good
     * one (all when either is unknown).
     */
    private List<Integer> changingGpus(
            GpuNode node, NodeRecords records, Optional<Target> target, MigPartedConfig file) {
        List<Integer> all = IntStream.range(0, node.gpuCount()).boxed().toList();
        if (target.isPresent()) {
            return target.get().modeChange().isEmpty() ? target.get().gpus() : all;
        }
        if (!records.ours() || records.selected().equals(records.lastGood())) {
            return List.of();
        }
        Map<Integer, LayoutCheck.GpuLayout> now =
                LayoutCheck.expected(node, records.selected(), contentOf(records.selected(), file));
        Map<Integer, LayoutCheck.GpuLayout> before =
                LayoutCheck.expected(node, records.lastGood(), contentOf(records.lastGood(), file));
        if (now.isEmpty() || before.isEmpty()) {
            return all;
        }
        boolean modeChange = all.stream()
                .anyMatch(i -> now.get(i).migEnabled() != before.get(i).migEnabled());
        return modeChange
                ? all
                : all.stream().filter(i -> !now.get(i).equals(before.get(i))).toList();
    }

    /**
     * The deployments with replicas planned or running on the GPUs that change (for a MIG mode change: any replica on
     * the node). Before the change is selected, a replica whose slice nobody reported counts where it may be; once it
     * is, such a replica was not on those GPUs (the drain waited for any that could be) and no new one was created on
     * the node since, so it does not count, even where the new layout has slices of its profile.
     */
    private static Set<String> affected(
            String node,
            List<Integer> changing,
            Optional<Target> target,
            Plan plan,
            Inventory inventory,
            ClusterSnapshot snapshot) {
        boolean modeChange = target.map(t -> !t.modeChange().isEmpty()).orElse(false);
        Set<String> affected = new TreeSet<>();
        if (changing.isEmpty()) {
            return affected;
        }
        // Once the change is selected, the inventory reads the new layout, where the planner may put a replica whose
        // slice nobody reported: only the replicas planned there count, and the pods that report a slice there.
        plan.assignments().stream()
                .filter(a ->
                        a.node().equals(node) && changing.contains(a.gpu()) && (target.isPresent() || !a.existing()))
                .map(Assignment::demand)
                .forEach(affected::add);
        for (Pod pod : snapshot.pods()) {
            String deployment = InventoryBuilder.deploymentOf(pod);
            if (deployment == null || !node.equals(PodFacts.node(pod)) || PodFacts.isFinished(pod)) {
                continue;
            }
            Optional<ReplicaSlice> slice = ReplicaSlice.of(pod);
            if (modeChange
                    || slice.map(s -> changing.contains(s.gpu())).orElse(false)
                    || (slice.isEmpty() && target.isPresent() && NodeDrain.mayRunOn(pod, node, changing, inventory))) {
                affected.add(deployment);
            }
        }
        return affected;
    }

    /** Where a failure of the selected config rolls back to. */
    private RollbackTarget rollbackTarget(NodeRecords records, MigPartedConfig file) {
        String lastGood = records.lastGood();
        // Selecting the config that failed again would change nothing; selecting one the ConfigMap lacks (and Quartet
        // cannot write back) would fail at once.
        if (lastGood == null || lastGood.equals(records.selected())) {
            return RollbackTarget.NONE;
        }
        if (!store.knows(lastGood) && (file == null || !file.configs().containsKey(lastGood))) {
            return new RollbackTarget(null, lastGood);
        }
        return new RollbackTarget(lastGood, null);
    }

    /**
     * Quartet's configs the node selects, may roll back to or has staged that the ConfigMap (as cached) lacks and
     * whose content is known. Only when one is missing are the contents recorded on the nodes parsed.
     */
    private Set<String> missingConfigs(GpuNode node, ClusterSnapshot snapshot) {
        MigPartedConfig read = snapshot.migConfig();
        store.remember(read);
        List<String> missing = TargetConfig.inUse(snapshot.nodes().stream()
                        .filter(n -> n.getMetadata().getName().equals(node.name()))
                        .toList())
                .stream()
                .filter(c -> read == null || !read.configs().containsKey(c))
                .toList();
        if (!missing.stream().allMatch(store::knows)) {
            store.remember(snapshot.nodes());
        }
        return new TreeSet<>(missing.stream().filter(store::knows).toList());
    }

    /** The file to read {@code config}'s content from: the ConfigMap as cached, else what Quartet knows of it. */
    private MigPartedConfig contentOf(String config, MigPartedConfig file) {
        if (config == null || (file != null && file.configs().containsKey(config))) {
            return file;
        }
        return store.content(config)
                .map(groups -> new MigPartedConfig(Map.of(config, groups)))
                .orElse(file);
    }
}
