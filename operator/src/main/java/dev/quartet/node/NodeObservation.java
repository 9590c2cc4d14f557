package dev.quartet.node;

import dev.quartet.nvidia.MigConfigSpec;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything {@link NodeTransitions} decides one node's next step from, read from the cluster by
 * {@link NodeObserver}: Quartet's and MIG Manager's records on the node, what the plan wants of it, the pods on the
 * GPUs that change, whether it may take a turn, and what its GPUs really show.
 *
 * @param node           the node's name
 * @param records        what MIG Manager and Quartet have written on the node
 * @param target         the config that gives the node its planned layout, when the plan changes any of its GPUs
 * @param drain          the state of the GPUs that change ({@link Drain.Clear} when no target)
 * @param displaced      replicas on the node's unchanged GPUs that a higher-priority deployment takes the slice of
 * @param turn           the node holds a turn, or one of {@code max-concurrent-repartitions} is free for it
 * @param layout         the selected config against what the node shows
 * @param rollback       where a failure of the selected config rolls back to
 * @param affected       the deployments ({@code ns/name}) with replicas planned or running on the GPUs that change
 * @param changingGpus   the GPUs that change (of the target, or of the config MIG Manager applies)
 * @param missingConfigs Quartet's configs the node selects, may roll back to or has staged that the ConfigMap lacks
 *                       and whose content Quartet knows (it writes them back)
 * @param selectedInConfigMap the ConfigMap holds the selected config (an administrator's config the node leaves is
 *                       then a rollback target)
 * @param now            the time of this observation
 * @param settings       MIG Manager settings
 */
public record NodeObservation(
        String node,
        NodeRecords records,
        Optional<Target> target,
        Drain drain,
        List<Eviction> displaced,
        boolean turn,
        LayoutCheck.Verdict layout,
        RollbackTarget rollback,
        Set<String> affected,
        List<Integer> changingGpus,
        Set<String> missingConfigs,
        boolean selectedInConfigMap,
        Instant now,
        Settings settings) {

    public NodeObservation {
        displaced = List.copyOf(displaced);
        affected = Set.copyOf(affected);
        changingGpus = List.copyOf(changingGpus);
        missingConfigs = Set.copyOf(missingConfigs);
    }

    /**
     * The config that gives the node its planned layout: named by content, its device groups, the GPUs it changes
     * and, of those, the ones whose MIG mode it turns on (a whole-node disruption).
     */
    public record Target(String config, List<MigConfigSpec> groups, List<Integer> gpus, Set<Integer> modeChange) {
        public Target {
            groups = List.copyOf(groups);
            gpus = List.copyOf(gpus);
            modeChange = Set.copyOf(modeChange);
        }
    }

    /** The last good config a failure rolls back to ({@code config}), or none, with the one that is gone if so. */
    public record RollbackTarget(String config, String gone) {
        static final RollbackTarget NONE = new RollbackTarget(null, null);
    }

    /** A replica pod to evict (movable only), for a drain or because the plan gives its slice to another. */
    public record Eviction(Pod pod, String deployment, List<Integer> gpus, boolean displaced) {
        public Eviction {
            gpus = List.copyOf(gpus);
        }

        String id() {
            return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        }
    }

    /** What the GPUs that change hold. */
    public sealed interface Drain {
        /** Nothing holds them: they may be repartitioned. */
        record Clear() implements Drain {}

        /** Something holds them that Quartet may not evict now (its reason and a sentence for people). */
        record Blocked(String reason, String message) implements Drain {}

        /** Movable replicas hold them: these may be evicted now; the notes say what else is waited for. */
        record Draining(List<Eviction> evict, List<String> notes) implements Drain {
            public Draining {
                evict = List.copyOf(evict);
                notes = List.copyOf(notes);
            }
        }
    }

    /** The MIG Manager settings the transitions read. */
    public record Settings(
            Duration configPropagationDelay,
            Duration repartitionTimeout,
            Duration retryBackoff,
            Duration layoutVerifyTimeout,
            int maxConcurrentRepartitions,
            boolean allowMigModeChange) {}
}
