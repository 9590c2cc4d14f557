package dev.quartet.node;

import dev.quartet.node.NodeObservation.Eviction;
import dev.quartet.nvidia.MigConfigSpec;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One write a node's step asks for, carried out in order by {@link NodeActionExecutor}. Each says in
 * {@link #summary()} what it does, in the words the transition table uses.
 */
public sealed interface NodeAction {

    String summary();

    /** Writes Quartet's configs the node uses back into a ConfigMap that lost them. */
    record RestoreConfigs(Set<String> names) implements NodeAction {
        public String summary() {
            return "restore " + new TreeSet<>(names);
        }
    }

    /**
     * Writes the config into the ConfigMap and records it on the node as staged (now). {@code newTurn}: the node takes
     * a turn it did not hold, so the executor first checks, on the nodes as the API server has them, that one is free.
     */
    record Stage(String config, List<MigConfigSpec> groups, boolean newTurn) implements NodeAction {
        public String summary() {
            return "stage " + config;
        }
    }

    /** Forgets a staged config the plan no longer wants (its ConfigMap entry goes at the next write). */
    record DropStaged() implements NodeAction {
        public String summary() {
            return "drop staged";
        }
    }

    /**
     * Selects the staged config: {@code nvidia.com/mig.config} and state {@code pending} in one patch, with the
     * annotations of the attempt. {@code leaving}: the config the node leaves, recorded as last good (null: keep the
     * recorded one). A config staged before {@code now} is first checked to still be in the ConfigMap.
     */
    record Select(String config, List<MigConfigSpec> groups, StagedConfig staged, String leaving, List<Integer> gpus)
            implements NodeAction {
        public String summary() {
            return "select " + config;
        }
    }

    /** Evicts a replica through the Eviction API. */
    record Evict(Eviction eviction) implements NodeAction {
        public String summary() {
            return (eviction.displaced() ? "evict displaced " : "evict ") + eviction.id();
        }
    }

    /**
     * Records a failure on the node and, when {@code rollBackTo} is set, selects that config again (state
     * {@code pending}); the layout check restarts for it, or ends when there is nothing to roll back to.
     */
    record Fail(NodeMigRecord record, String rollBackTo) implements NodeAction {
        public String summary() {
            return (rollBackTo == null
                    ? "record " + record.reason() + ", nothing to roll back to"
                    : "roll back to " + rollBackTo + " (" + record.reason() + ")");
        }
    }

    /** Records the selected config as the node's last good one; {@code clearFailure} also removes the failure record. */
    record RecordGood(String config, boolean clearFailure) implements NodeAction {
        public String summary() {
            return "record good " + config + (clearFailure ? ", clear failure" : "");
        }
    }

    /** Sets the layout-check mark: pending, since a time, or (null) done. */
    record MarkCheck(String value) implements NodeAction {
        static MarkCheck pending() {
            return new MarkCheck(NodeRecords.CHECK_PENDING);
        }

        static MarkCheck since(Instant at) {
            return new MarkCheck(StagedConfig.stamp(at));
        }

        static MarkCheck done() {
            return new MarkCheck(null);
        }

        public String summary() {
            return value == null ? "check done" : "check " + value;
        }
    }

    /** A Kubernetes Event on the node. */
    record Event(boolean warning, String reason, String message) implements NodeAction {
        public String summary() {
            return (warning ? "Warning " : "Normal ") + reason;
        }
    }
}
