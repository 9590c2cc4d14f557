package dev.quartet.node;

import dev.quartet.inventory.QuartetLabels;
import dev.quartet.node.NodeAction.DropStaged;
import dev.quartet.node.NodeAction.Event;
import dev.quartet.node.NodeAction.Evict;
import dev.quartet.node.NodeAction.Fail;
import dev.quartet.node.NodeAction.MarkCheck;
import dev.quartet.node.NodeAction.RecordGood;
import dev.quartet.node.NodeAction.RestoreConfigs;
import dev.quartet.node.NodeAction.Select;
import dev.quartet.node.NodeAction.Stage;
import dev.quartet.node.NodeObservation.Drain;
import dev.quartet.node.NodeObservation.Target;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.NodeProgress.Phase;
import dev.quartet.status.Reasons;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The node loop's decisions, pure: from a node's {@link NodeStage} and what is observed of it, the stage it moves to,
 * the writes that take it there ({@link NodeAction}s, carried out in order until one is refused), what it reports to
 * the deployments it affects, and when to look again. No client, no clock: everything comes in the observation.
 */
public final class NodeTransitions {

    /** While waiting on pods or for a turn, look again this often (pod and node events usually come first). */
    static final Duration POLL = Duration.ofSeconds(5);

    private NodeTransitions() {}

    /** The step, the report and the writes of one pass over one node. */
    public record Transition(
            NodeStage next, List<NodeAction> actions, Optional<NodeProgress> report, Optional<Duration> recheck) {

        public Transition {
            actions = List.copyOf(actions);
        }

        /** The actions' summaries, as the transition table writes them. */
        public List<String> summaries() {
            return actions.stream().map(NodeAction::summary).toList();
        }
    }

    public static Transition next(NodeStage stage, NodeObservation o) {
        List<NodeAction> actions = new ArrayList<>();
        if (!o.missingConfigs().isEmpty()) {
            actions.add(new RestoreConfigs(o.missingConfigs()));
        }
        Step step = switch (stage) {
            case IDLE -> idle(o);
            case STAGED, DRAINING -> staged(o);
            case APPLYING -> applying(o);
            case VERIFYING -> verifying(o);
            case ROLLING_BACK -> rollingBack(o);
            case FAILED -> failed(o);
        };
        actions.addAll(step.actions);
        // A higher-priority deployment takes these replicas' slices on GPUs that keep their layout: whatever the
        // node's stage, they are evicted (movable only, replacements first, as in a drain).
        o.displaced().forEach(e -> actions.add(new Evict(e)));
        return new Transition(step.next, actions, step.report, step.recheck);
    }

    /** What one stage decided. */
    private record Step(
            NodeStage next, List<NodeAction> actions, Optional<NodeProgress> report, Optional<Duration> recheck) {

        static Step stay(NodeStage stage) {
            return new Step(stage, List.of(), Optional.empty(), Optional.empty());
        }
    }

    private static Step idle(NodeObservation o) {
        if (o.target().isEmpty()) {
            return Step.stay(NodeStage.IDLE);
        }
        Target t = o.target().get();
        if (!t.modeChange().isEmpty() && !o.settings().allowMigModeChange()) {
            // The inventory never offers such a GPU to the planner: this guards the one rule that must never break.
            return new Step(
                    NodeStage.IDLE,
                    List.of(),
                    report(o, Phase.WAITING, Reasons.REPARTITIONING, modeChangeRefused(o, t)),
                    Optional.of(POLL));
        }
        if (!o.turn()) {
            return new Step(
                    NodeStage.IDLE,
                    List.of(),
                    report(
                            o,
                            Phase.WAITING,
                            Reasons.REPARTITIONING,
                            "waiting for a turn: at most "
                                    + o.settings().maxConcurrentRepartitions()
                                    + " node(s) repartition at a time"),
                    Optional.of(POLL));
        }
        // The config goes into the ConfigMap first, so that MIG Manager's copy catches up while the GPUs drain.
        List<NodeAction> actions = new ArrayList<>(List.of(new Stage(t.config(), t.groups(), true)));
        return drainOrSelect(o, t, new StagedConfig(t.config(), o.now()), actions);
    }

    private static Step staged(NodeObservation o) {
        StagedConfig staged = o.records().staged();
        if (o.target().isEmpty()) {
            // The plan no longer wants this change: the staged entry would otherwise stay in the ConfigMap for ever.
            return new Step(NodeStage.IDLE, List.of(new DropStaged()), Optional.empty(), Optional.empty());
        }
        Target t = o.target().get();
        if (!t.modeChange().isEmpty() && !o.settings().allowMigModeChange()) {
            return new Step(
                    NodeStage.IDLE,
                    List.of(new DropStaged()),
                    report(o, Phase.WAITING, Reasons.REPARTITIONING, modeChangeRefused(o, t)),
                    Optional.of(POLL));
        }
        List<NodeAction> actions = new ArrayList<>();
        if (!staged.config().equals(t.config())) {
            // The plan changed during the turn: the new layout is staged, the turn is kept.
            actions.add(new Stage(t.config(), t.groups(), false));
            staged = new StagedConfig(t.config(), o.now());
        }
        return drainOrSelect(o, t, staged, actions);
    }

    /** A staged node: evict what may go, wait for what may not, else select the config once MIG Manager can read it. */
    private static Step drainOrSelect(NodeObservation o, Target t, StagedConfig staged, List<NodeAction> actions) {
        Drain drain = o.drain();
        if (drain instanceof Drain.Blocked blocked) {
            return new Step(
                    NodeStage.DRAINING,
                    actions,
                    report(o, Phase.WAITING, blocked.reason(), blocked.message()),
                    Optional.of(POLL));
        }
        if (drain instanceof Drain.Draining draining) {
            List<String> notes = new ArrayList<>();
            draining.evict().forEach(e -> {
                actions.add(new Evict(e));
                notes.add("evicting " + e.id());
            });
            notes.addAll(draining.notes());
            return new Step(
                    NodeStage.DRAINING,
                    actions,
                    report(
                            o,
                            Phase.DRAINING,
                            Reasons.DRAINING,
                            "draining GPU(s) " + drainedGpus(o, t) + " on " + o.node() + modeChangeClause(t) + ": "
                                    + String.join("; ", notes)),
                    Optional.of(POLL));
        }
        Instant ready = staged.at().plus(o.settings().configPropagationDelay());
        if (o.now().isBefore(ready)) {
            return new Step(
                    NodeStage.STAGED,
                    actions,
                    report(
                            o,
                            Phase.WAITING,
                            Reasons.REPARTITIONING,
                            "MIG config " + t.config() + " written for " + o.node() + " at "
                                    + StagedConfig.stamp(staged.at()) + "; selecting it after "
                                    + StagedConfig.stamp(ready)
                                    + ", once MIG Manager's mounted copy of the ConfigMap shows it"),
                    Optional.of(Duration.between(o.now(), ready)));
        }
        String message = "set " + NvidiaLabels.MIG_CONFIG + "=" + t.config() + " on " + o.node()
                + " to repartition GPU(s) " + t.gpus() + modeChangeClause(t) + " (was "
                + o.records().selected() + ")";
        actions.add(new Select(t.config(), t.groups(), staged, leaving(o), t.gpus()));
        actions.add(new Event(false, "MigRepartitionStarted", message));
        return new Step(
                NodeStage.APPLYING,
                actions,
                report(o, Phase.APPLYING, Reasons.REPARTITIONING, message),
                Optional.of(o.settings().repartitionTimeout().plusSeconds(1)));
    }

    /**
     * The config the node leaves is the rollback target if it is known to work: MIG Manager reported success for it,
     * or, with no state reported, an administrator chose it before Quartet and it is in the ConfigMap (the planner
     * then only repartitions the node once the device plugin advertises that config's slices). Null: keep the last
     * good config recorded.
     */
    private static String leaving(NodeObservation o) {
        NodeRecords r = o.records();
        if (r.selected() == null) {
            return null;
        }
        boolean succeeded = r.success();
        boolean administrators = r.migState() == null && r.quartetConfig() == null && o.selectedInConfigMap();
        return succeeded || administrators ? r.selected() : null;
    }

    private static Step applying(NodeObservation o) {
        NodeRecords r = o.records();
        List<NodeAction> actions = new ArrayList<>();
        if (r.checkSince().isPresent()) {
            // MIG Manager is at work again after a success: its next success starts the layout check afresh.
            actions.add(MarkCheck.pending());
        }
        if (NvidiaLabels.STATE_FAILED.equals(r.migState())) {
            return rollBack(
                    o,
                    actions,
                    Reasons.MIG_MANAGER_FAILED,
                    "MIG Manager reported failed on node " + o.node() + " applying " + r.selected()
                            + " (its log on that node says why)");
        }
        Instant deadline = Optional.ofNullable(r.requestedAt())
                .orElse(o.now())
                .plus(o.settings().repartitionTimeout());
        if (deadline.isBefore(o.now())) {
            return rollBack(
                    o,
                    actions,
                    Reasons.MIG_MANAGER_TIMEOUT,
                    "MIG Manager left node " + o.node() + " pending for more than "
                            + o.settings().repartitionTimeout().toSeconds() + " s applying " + r.selected());
        }
        return new Step(
                NodeStage.APPLYING,
                actions,
                report(
                        o,
                        Phase.APPLYING,
                        Reasons.REPARTITIONING,
                        "MIG Manager is applying " + r.selected() + " on " + o.node() + " (" + r.migState() + ")"),
                Optional.of(Duration.between(o.now(), deadline).plusSeconds(1)));
    }

    private static Step verifying(NodeObservation o) {
        NodeRecords r = o.records();
        boolean rollback = r.rollbackUnderWay(o.now());
        if (!(o.layout() instanceof LayoutCheck.Verdict.Differs differs)) {
            if (rollback) {
                return new Step(
                        NodeStage.FAILED, List.of(MarkCheck.done()), failureReport(o, r.failure()), recheckBackOff(o));
            }
            boolean lateSuccess = r.failure() != null && r.failure().config().equals(r.selected());
            boolean clearFailure = lateSuccess || (r.failure() != null && !r.failureActive(o.now()));
            List<NodeAction> actions = new ArrayList<>();
            if (!r.selected().equals(r.lastGood()) || lateSuccess) {
                actions.add(new RecordGood(r.selected(), clearFailure));
                // MIG Manager can still succeed after Quartet recorded a timeout (or after a failure it retried by
                // itself); Quartet rolled nothing back when it did not have to, so the node now runs that config.
                actions.add(new Event(
                        false,
                        "MigRepartitioned",
                        "MIG Manager applied " + r.selected() + " on " + o.node()
                                + (lateSuccess ? " (after the failure Quartet recorded, which is cleared)" : "")));
            } else {
                actions.add(MarkCheck.done());
            }
            return new Step(NodeStage.IDLE, actions, Optional.empty(), Optional.empty());
        }
        Optional<Instant> since = r.checkSince();
        Instant deadline = since.orElse(o.now()).plus(o.settings().layoutVerifyTimeout());
        if (o.now().isBefore(deadline)) {
            List<NodeAction> actions = since.isEmpty() ? List.of(MarkCheck.since(o.now())) : List.of();
            return new Step(
                    NodeStage.VERIFYING,
                    actions,
                    report(
                            o,
                            Phase.VERIFYING,
                            Reasons.REPARTITIONING,
                            "MIG Manager reported success for " + r.selected() + " on " + o.node()
                                    + "; waiting until " + StagedConfig.stamp(deadline)
                                    + " for the node to show its layout (" + differs.detail() + ")"),
                    Optional.of(Duration.between(o.now(), deadline).plusSeconds(1)));
        }
        String mismatch = "MIG Manager reported success on node " + o.node() + " for " + r.selected()
                + ", but the node does not show its layout "
                + o.settings().layoutVerifyTimeout().toSeconds() + " s later: " + differs.detail();
        if (rollback || r.selected().equals(r.lastGood())) {
            // The config the node returns to does not show either: nothing is left to roll back to.
            Set<String> deployments = new TreeSet<>(o.affected());
            if (r.failure() != null) {
                deployments.addAll(r.failure().deployments());
            }
            NodeMigRecord record = record(o, r.selected(), Reasons.MIG_LAYOUT_MISMATCH, null, deployments);
            String full = mismatch
                    + (rollback
                            ? " (it is the config Quartet rolled back to after "
                                    + r.failure().reason() + ")"
                            : "") + "; MIG Manager may still be finishing a config it abandoned, or reported "
                    + "success without creating the instances; check its log on " + o.node() + " and set "
                    + NvidiaLabels.MIG_CONFIG + " on it to a config that works there if this lasts";
            return new Step(
                    NodeStage.FAILED,
                    List.of(new Fail(record, null), new Event(true, Reasons.MIG_LAYOUT_MISMATCH, full)),
                    Optional.of(new NodeProgress(
                            o.node(), Phase.FAILED, Reasons.MIG_LAYOUT_MISMATCH, full, o.changingGpus(), deployments)),
                    recheckBackOff(o));
        }
        return rollBack(o, new ArrayList<>(), Reasons.MIG_LAYOUT_MISMATCH, mismatch);
    }

    private static Step rollingBack(NodeObservation o) {
        List<NodeAction> actions = o.records().checkSince().isPresent() ? List.of(MarkCheck.pending()) : List.of();
        return new Step(
                NodeStage.ROLLING_BACK, actions, failureReport(o, o.records().failure()), recheckBackOff(o));
    }

    private static Step failed(NodeObservation o) {
        return new Step(
                NodeStage.FAILED, List.of(), failureReport(o, o.records().failure()), recheckBackOff(o));
    }

    /**
     * Records the failure of the selected config and rolls back to the last good config, if there is one that is not
     * the failed one and that the ConfigMap has (or Quartet can write back); else the record and the event say so.
     */
    private static Step rollBack(NodeObservation o, List<NodeAction> actions, String reason, String message) {
        NodeRecords r = o.records();
        String target = o.rollback().config();
        Instant retry = o.now().plus(o.settings().retryBackoff());
        NodeMigRecord record = record(o, r.selected(), reason, target, o.affected());
        String full = message + "; "
                + (target != null
                        ? "rolled back to " + target + ", next attempt after " + StagedConfig.stamp(retry)
                        : o.rollback().gone() != null
                                ? "cannot roll back to " + o.rollback().gone() + ", the last config known to work "
                                        + "here: the mig-parted ConfigMap no longer has it; set "
                                        + NvidiaLabels.MIG_CONFIG + " on " + o.node()
                                        + " to a config that works there"
                                : nothingToRollBackTo(o));
        actions.add(new Fail(record, target));
        actions.add(new Event(true, reason, full));
        return new Step(
                target == null ? NodeStage.FAILED : NodeStage.ROLLING_BACK,
                actions,
                Optional.of(new NodeProgress(o.node(), Phase.FAILED, reason, full, o.changingGpus(), o.affected())),
                Optional.of(target == null ? o.settings().retryBackoff() : POLL));
    }

    private static NodeMigRecord record(
            NodeObservation o, String config, String reason, String rolledBackTo, Set<String> deployments) {
        return new NodeMigRecord(
                config,
                reason,
                StagedConfig.stamp(o.now()),
                StagedConfig.stamp(o.now().plus(o.settings().retryBackoff())),
                rolledBackTo,
                List.copyOf(new TreeSet<>(deployments)));
    }

    /** What a recorded failure reports while its back-off runs, to the deployments it recorded. */
    private static Optional<NodeProgress> failureReport(NodeObservation o, NodeMigRecord f) {
        if (f == null || !f.activeAt(o.now())) {
            return Optional.empty();
        }
        String what = switch (f.reason()) {
            case Reasons.MIG_MANAGER_TIMEOUT -> "MIG Manager timed out";
            case Reasons.MIG_LAYOUT_MISMATCH -> "MIG Manager reported success without the layout asked for";
            default -> "MIG Manager failed";
        };
        return Optional.of(new NodeProgress(
                o.node(),
                Phase.FAILED,
                f.reason(),
                what + " on node " + o.node() + " applying " + f.config() + "; "
                        + (f.rolledBackTo() == null
                                ? nothingToRollBackTo(o)
                                : "rolled back to " + f.rolledBackTo() + "; Quartet retries after " + f.retryAfter()
                                        + " (remove annotation " + QuartetLabels.NODE_LAST_FAILURE
                                        + " to retry now)"),
                List.of(),
                Set.copyOf(f.deployments())));
    }

    private static Optional<Duration> recheckBackOff(NodeObservation o) {
        NodeMigRecord f = o.records().failure();
        Duration left = f == null
                ? Duration.ZERO
                : Duration.between(o.now(), Instant.parse(f.retryAfter())).plusSeconds(1);
        return Optional.of(left.isNegative() || left.isZero() ? POLL : left);
    }

    private static String nothingToRollBackTo(NodeObservation o) {
        return "nothing to roll back to (no other config is known to work on this node): set " + NvidiaLabels.MIG_CONFIG
                + " on " + o.node() + " to a config that works there";
    }

    private static String modeChangeRefused(NodeObservation o, Target t) {
        return "not repartitioning " + o.node() + ": the planned layout turns MIG mode on for GPU(s) "
                + new TreeSet<>(t.modeChange()) + ", and migManager.allowMigModeChange is false";
    }

    private static String modeChangeClause(Target t) {
        return t.modeChange().isEmpty()
                ? ""
                : ", turning MIG mode on for GPU(s) " + new TreeSet<>(t.modeChange())
                        + " (a GPU reset; MIG Manager may reboot the node)";
    }

    private static List<Integer> drainedGpus(NodeObservation o, Target t) {
        return t.modeChange().isEmpty() ? t.gpus() : o.changingGpus();
    }

    private static Optional<NodeProgress> report(NodeObservation o, Phase phase, String reason, String message) {
        return Optional.of(new NodeProgress(o.node(), phase, reason, message, o.changingGpus(), o.affected()));
    }
}
