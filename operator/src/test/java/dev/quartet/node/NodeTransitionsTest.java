package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.node.LayoutCheck.Verdict;
import dev.quartet.node.NodeObservation.Drain;
import dev.quartet.node.NodeObservation.Eviction;
import dev.quartet.node.NodeObservation.RollbackTarget;
import dev.quartet.node.NodeObservation.Settings;
import dev.quartet.node.NodeObservation.Target;
import dev.quartet.node.NodeTransitions.Transition;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.status.NodeProgress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The node loop's transitions as a table: each row is a stage, what is observed of the node, and the stage it moves
 * to with the writes that take it there and what it reports. A second table derives the stage from what the cluster
 * holds on the node.
 */
class NodeTransitionsTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final Settings SETTINGS = new Settings(
            Duration.ofSeconds(90), Duration.ofMinutes(10), Duration.ofMinutes(15), Duration.ofMinutes(2), 1, false);
    private static final List<MigConfigSpec> WHOLE =
            List.of(new MigConfigSpec(List.of(), List.of(0), true, Map.of("4g.24gb", 1)));

    // ---- the observations the rows are made of ----

    /** An A30 node that runs all-1g.6gb, which MIG Manager applied; nothing planned, nothing under way. */
    private static Obs node() {
        return new Obs();
    }

    /** What MIG Manager and Quartet wrote on the node. */
    private record Records(
            String selected,
            String state,
            String quartet,
            Instant requestedAt,
            StagedConfig staged,
            String lastGood,
            NodeMigRecord failure,
            String check) {

        NodeRecords build() {
            return new NodeRecords(selected, state, quartet, requestedAt, staged, lastGood, failure, check);
        }
    }

    /** An observation, changed one fact at a time; {@link #toString()} names the row. */
    private static final class Obs {
        Records r = new Records("all-1g.6gb", "success", null, null, null, "all-1g.6gb", null, null);
        Optional<Target> target = Optional.empty();
        Drain drain = new Drain.Clear();
        List<Eviction> displaced = List.of();
        boolean turn = true;
        Verdict layout = new Verdict.Matches();
        RollbackTarget rollback = new RollbackTarget("all-1g.6gb", null);
        Set<String> missing = Set.of();
        Settings settings = SETTINGS;
        Instant now = NOW;
        String description = "";

        Obs said(String what) {
            description += (description.isEmpty() ? "" : ", ") + what;
            return this;
        }

        Obs planned() {
            target = Optional.of(new Target("quartet-new", WHOLE, List.of(0), Set.of()));
            return said("layout planned");
        }

        Obs plannedTurningMigOn() {
            target = Optional.of(new Target("quartet-new", WHOLE, List.of(0), Set.of(0)));
            return said("planned layout turns MIG on");
        }

        Obs noTurn() {
            turn = false;
            return said("no turn free");
        }

        Obs noPropagationDelay() {
            settings = new Settings(
                    Duration.ZERO, Duration.ofMinutes(10), Duration.ofMinutes(15), Duration.ofMinutes(2), 1, false);
            return said("no propagation delay");
        }

        Obs drain(Drain d, String what) {
            drain = d;
            return said(what);
        }

        Obs displaced() {
            displaced = List.of(new Eviction(pod("web-1"), "ns/web", List.of(1), true));
            return said("a replica displaced");
        }

        Obs missing() {
            missing = Set.of("quartet-old");
            return said("config missing from ConfigMap");
        }

        Obs staged(String config, Instant at) {
            r = new Records(
                    r.selected(),
                    r.state(),
                    r.quartet(),
                    r.requestedAt(),
                    new StagedConfig(config, at),
                    r.lastGood(),
                    r.failure(),
                    r.check());
            return said(config + " staged at " + at);
        }

        /** Quartet selected quartet-new at {@code at}; MIG Manager reports {@code state}. */
        Obs selected(String state, Instant at) {
            r = new Records("quartet-new", state, "quartet-new", at, null, "all-1g.6gb", r.failure(), "pending");
            return said("quartet-new selected at " + at + ", " + state);
        }

        Obs check(String value) {
            r = new Records(
                    r.selected(),
                    r.state(),
                    r.quartet(),
                    r.requestedAt(),
                    r.staged(),
                    r.lastGood(),
                    r.failure(),
                    value);
            return said("check " + value);
        }

        Obs failure(String config, String reason, String rolledBackTo, Instant at) {
            NodeMigRecord f = new NodeMigRecord(
                    config,
                    reason,
                    at.toString(),
                    at.plus(Duration.ofMinutes(15)).toString(),
                    rolledBackTo,
                    List.of("ns/web"));
            r = new Records(
                    r.selected(), r.state(), r.quartet(), r.requestedAt(), r.staged(), r.lastGood(), f, r.check());
            return said(reason + " recorded at " + at);
        }

        /** Quartet rolled back to all-1g.6gb at {@code at}; MIG Manager reports {@code state}. */
        Obs rolledBack(String state, Instant at) {
            r = new Records("all-1g.6gb", state, "all-1g.6gb", at, null, "all-1g.6gb", r.failure(), "pending");
            return said("rolled back at " + at + ", " + state);
        }

        /** An administrator selected custom-halves; MIG Manager reports {@code state}. */
        Obs administratorSelected(String state) {
            r = new Records("custom-halves", state, null, null, null, "all-1g.6gb", null, null);
            return said("an administrator selected custom-halves, " + state);
        }

        Obs nothingToRollBackTo() {
            rollback = RollbackTarget.NONE;
            return said("nothing to roll back to");
        }

        Obs layout(Verdict v) {
            layout = v;
            return said("layout " + v.getClass().getSimpleName().toLowerCase());
        }

        Obs at(Instant t) {
            now = t;
            return said("now " + t);
        }

        NodeObservation build() {
            return new NodeObservation(
                    "gpu-1",
                    r.build(),
                    target,
                    drain,
                    displaced,
                    turn,
                    layout,
                    rollback,
                    Set.of("ns/web"),
                    List.of(0),
                    missing,
                    true,
                    now,
                    settings);
        }

        @Override
        public String toString() {
            return description.isEmpty() ? "nothing planned" : description;
        }
    }

    private static Pod pod(String name) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("ns")
                .withName(name)
                .endMetadata()
                .build();
    }

    private static final Drain MOVABLE_ON_GPU =
            new Drain.Draining(List.of(new Eviction(pod("web-0"), "ns/web", List.of(0), false)), List.of());
    private static final Drain NOT_MOVABLE = new Drain.Blocked(
            "BlockedByRunningReplicas", "pod ns/db-0 may not be moved and still uses GPU 0; Quartet never evicts it");
    private static final Drain REPLACEMENT_STARTING =
            new Drain.Draining(List.of(), List.of("waiting for 1 replacement replica(s) of ns/web to be Ready"));
    private static final Verdict NOT_SHOWN = new Verdict.Differs("the device plugin advertises no MIG slices");

    // ---- the transition table ----

    /** One row: from {@code stage}, observing {@code seen}, the node goes to {@code next} with these writes. */
    record Row(NodeStage stage, Obs seen, NodeStage next, List<String> actions, String report) {
        @Override
        public String toString() {
            return stage + " | " + seen + " -> " + next + " " + actions + " " + report;
        }
    }

    static Row row(NodeStage stage, Obs seen, NodeStage next, List<String> actions, String report) {
        return new Row(stage, seen, next, actions, report);
    }

    static final String NONE = "no report";

    static Stream<Row> transitions() {
        Instant minuteAgo = NOW.minusSeconds(60);
        Instant longAgo = NOW.minus(Duration.ofMinutes(11));
        return Stream.of(
                // stage         observed                                              next                actions
                //                                                             report
                row(NodeStage.IDLE, node(), NodeStage.IDLE, List.of(), NONE),
                row(NodeStage.IDLE, node().planned().noTurn(), NodeStage.IDLE, List.of(), "WAITING/Repartitioning"),
                row(
                        NodeStage.IDLE,
                        node().planned(),
                        NodeStage.STAGED,
                        List.of("stage quartet-new"),
                        "WAITING/Repartitioning"),
                row(
                        NodeStage.IDLE,
                        node().planned().noPropagationDelay(),
                        NodeStage.APPLYING,
                        List.of("stage quartet-new", "select quartet-new", "Normal MigRepartitionStarted"),
                        "APPLYING/Repartitioning"),
                row(
                        NodeStage.IDLE,
                        node().planned().drain(MOVABLE_ON_GPU, "a movable replica on the GPU"),
                        NodeStage.DRAINING,
                        List.of("stage quartet-new", "evict ns/web-0"),
                        "DRAINING/Draining"),
                row(NodeStage.IDLE, node().plannedTurningMigOn(), NodeStage.IDLE, List.of(), "WAITING/Repartitioning"),
                row(NodeStage.IDLE, node().displaced(), NodeStage.IDLE, List.of("evict displaced ns/web-1"), NONE),
                row(NodeStage.IDLE, node().missing(), NodeStage.IDLE, List.of("restore [quartet-old]"), NONE),
                row(
                        NodeStage.STAGED,
                        node().staged("quartet-new", minuteAgo),
                        NodeStage.IDLE,
                        List.of("drop staged"),
                        NONE),
                row(
                        NodeStage.STAGED,
                        node().planned().staged("quartet-new", minuteAgo),
                        NodeStage.STAGED,
                        List.of(),
                        "WAITING/Repartitioning"),
                row(
                        NodeStage.STAGED,
                        node().planned().staged("quartet-new", NOW.minusSeconds(90)),
                        NodeStage.APPLYING,
                        List.of("select quartet-new", "Normal MigRepartitionStarted"),
                        "APPLYING/Repartitioning"),
                row(
                        NodeStage.STAGED,
                        node().planned().staged("quartet-older", longAgo),
                        NodeStage.STAGED,
                        List.of("stage quartet-new"),
                        "WAITING/Repartitioning"),
                row(
                        NodeStage.STAGED,
                        node().plannedTurningMigOn().staged("quartet-new", minuteAgo),
                        NodeStage.IDLE,
                        List.of("drop staged"),
                        "WAITING/Repartitioning"),
                row(
                        NodeStage.DRAINING,
                        node().planned()
                                .staged("quartet-new", longAgo)
                                .drain(NOT_MOVABLE, "a replica that may not move on the GPU"),
                        NodeStage.DRAINING,
                        List.of(),
                        "WAITING/BlockedByRunningReplicas"),
                row(
                        NodeStage.DRAINING,
                        node().planned()
                                .staged("quartet-new", longAgo)
                                .drain(REPLACEMENT_STARTING, "its replacement not Ready yet"),
                        NodeStage.DRAINING,
                        List.of(),
                        "DRAINING/Draining"),
                row(
                        NodeStage.APPLYING,
                        node().selected("pending", minuteAgo),
                        NodeStage.APPLYING,
                        List.of(),
                        "APPLYING/Repartitioning"),
                row(
                        NodeStage.APPLYING,
                        node().selected("pending", longAgo),
                        NodeStage.ROLLING_BACK,
                        List.of("roll back to all-1g.6gb (MigManagerTimeout)", "Warning MigManagerTimeout"),
                        "FAILED/MigManagerTimeout"),
                row(
                        NodeStage.APPLYING,
                        node().selected("failed", minuteAgo),
                        NodeStage.ROLLING_BACK,
                        List.of("roll back to all-1g.6gb (MigManagerFailed)", "Warning MigManagerFailed"),
                        "FAILED/MigManagerFailed"),
                row(
                        NodeStage.APPLYING,
                        node().selected("failed", minuteAgo).nothingToRollBackTo(),
                        NodeStage.FAILED,
                        List.of("record MigManagerFailed, nothing to roll back to", "Warning MigManagerFailed"),
                        "FAILED/MigManagerFailed"),
                row(
                        NodeStage.APPLYING,
                        node().selected("pending", minuteAgo).check(minuteAgo.toString()),
                        NodeStage.APPLYING,
                        List.of("check pending"),
                        "APPLYING/Repartitioning"),
                row(
                        NodeStage.VERIFYING,
                        node().selected("success", minuteAgo),
                        NodeStage.IDLE,
                        List.of("record good quartet-new", "Normal MigRepartitioned"),
                        NONE),
                row(
                        NodeStage.VERIFYING,
                        node().selected("success", minuteAgo).layout(NOT_SHOWN),
                        NodeStage.VERIFYING,
                        List.of("check " + NOW),
                        "VERIFYING/Repartitioning"),
                row(
                        NodeStage.VERIFYING,
                        node().selected("success", longAgo)
                                .check(minuteAgo.toString())
                                .layout(NOT_SHOWN),
                        NodeStage.VERIFYING,
                        List.of(),
                        "VERIFYING/Repartitioning"),
                row(
                        NodeStage.VERIFYING,
                        node().selected("success", longAgo)
                                .check(NOW.minusSeconds(121).toString())
                                .layout(NOT_SHOWN),
                        NodeStage.ROLLING_BACK,
                        List.of("roll back to all-1g.6gb (MigLayoutMismatch)", "Warning MigLayoutMismatch"),
                        "FAILED/MigLayoutMismatch"),
                row(
                        NodeStage.VERIFYING,
                        node().selected("success", longAgo)
                                .failure("quartet-new", "MigManagerTimeout", null, minuteAgo)
                                .check(null),
                        NodeStage.IDLE,
                        List.of("record good quartet-new, clear failure", "Normal MigRepartitioned"),
                        NONE),
                row(
                        NodeStage.VERIFYING,
                        node().selected("success", minuteAgo)
                                .layout(new Verdict.Unknown("the content of quartet-new is not known")),
                        NodeStage.IDLE,
                        List.of("record good quartet-new", "Normal MigRepartitioned"),
                        NONE),
                row(
                        NodeStage.VERIFYING,
                        node().failure("quartet-new", "MigManagerFailed", "all-1g.6gb", longAgo)
                                .rolledBack("success", longAgo),
                        NodeStage.FAILED,
                        List.of("check done"),
                        "FAILED/MigManagerFailed"),
                row(
                        NodeStage.VERIFYING,
                        node().failure("quartet-new", "MigManagerTimeout", "all-1g.6gb", longAgo)
                                .rolledBack("success", longAgo)
                                .check(NOW.minusSeconds(121).toString())
                                .layout(NOT_SHOWN),
                        NodeStage.FAILED,
                        List.of("record MigLayoutMismatch, nothing to roll back to", "Warning MigLayoutMismatch"),
                        "FAILED/MigLayoutMismatch"),
                row(
                        NodeStage.ROLLING_BACK,
                        node().failure("quartet-new", "MigManagerFailed", "all-1g.6gb", minuteAgo)
                                .rolledBack("pending", minuteAgo),
                        NodeStage.ROLLING_BACK,
                        List.of(),
                        "FAILED/MigManagerFailed"),
                row(
                        NodeStage.FAILED,
                        node().failure("quartet-new", "MigManagerFailed", "all-1g.6gb", minuteAgo)
                                .rolledBack("success", minuteAgo)
                                .check(null),
                        NodeStage.FAILED,
                        List.of(),
                        "FAILED/MigManagerFailed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transitions")
    void transition(Row row) {
        Transition t = NodeTransitions.next(row.stage(), row.seen().build());

        assertThat(t.next()).as("next stage").isEqualTo(row.next());
        assertThat(t.summaries()).as("actions").isEqualTo(row.actions());
        assertThat(t.report().map(p -> p.phase() + "/" + p.reason()).orElse(NONE))
                .as("report")
                .isEqualTo(row.report());
    }

    // ---- the stage, from what the cluster holds ----

    /** One row: what is written on the node (and whether pods hold the GPUs that change) gives the stage. */
    record StageRow(String written, Obs seen, boolean podsOnGpus, NodeStage stage) {
        @Override
        public String toString() {
            return written + (podsOnGpus ? ", pods on the GPUs that change" : "") + " -> " + stage;
        }
    }

    static Stream<StageRow> stages() {
        Instant minuteAgo = NOW.minusSeconds(60);
        return Stream.of(
                new StageRow("an administrator's config, applied", node(), false, NodeStage.IDLE),
                new StageRow(
                        "MIG Manager busy with an administrator's config",
                        node().administratorSelected("pending"),
                        false,
                        NodeStage.IDLE),
                new StageRow("a config staged", node().staged("quartet-new", minuteAgo), false, NodeStage.STAGED),
                new StageRow("a config staged", node().staged("quartet-new", minuteAgo), true, NodeStage.DRAINING),
                new StageRow(
                        "Quartet's config selected, pending",
                        node().selected("pending", minuteAgo),
                        false,
                        NodeStage.APPLYING),
                new StageRow(
                        "Quartet's config selected, failed",
                        node().selected("failed", minuteAgo),
                        false,
                        NodeStage.APPLYING),
                new StageRow(
                        "Quartet's config selected, success",
                        node().selected("success", minuteAgo),
                        false,
                        NodeStage.VERIFYING),
                new StageRow(
                        "rolled back, pending",
                        node().failure("quartet-new", "MigManagerFailed", "all-1g.6gb", minuteAgo)
                                .rolledBack("pending", minuteAgo),
                        false,
                        NodeStage.ROLLING_BACK),
                new StageRow(
                        "rolled back, success, layout not checked",
                        node().failure("quartet-new", "MigManagerFailed", "all-1g.6gb", minuteAgo)
                                .rolledBack("success", minuteAgo),
                        false,
                        NodeStage.VERIFYING),
                new StageRow(
                        "rolled back, success, layout checked",
                        node().failure("quartet-new", "MigManagerFailed", "all-1g.6gb", minuteAgo)
                                .rolledBack("success", minuteAgo)
                                .check(null),
                        false,
                        NodeStage.FAILED),
                new StageRow(
                        "failed with nothing to roll back to, recorded",
                        node().selected("failed", minuteAgo).failure("quartet-new", "MigManagerFailed", null, NOW),
                        false,
                        NodeStage.FAILED),
                new StageRow(
                        "failed with nothing to roll back to, back-off over",
                        node().selected("failed", NOW.minus(Duration.ofMinutes(25)))
                                .failure("quartet-new", "MigManagerFailed", null, NOW.minus(Duration.ofMinutes(20))),
                        false,
                        NodeStage.IDLE),
                new StageRow(
                        "late success after a recorded timeout",
                        node().selected("success", minuteAgo).failure("quartet-new", "MigManagerTimeout", null, NOW),
                        false,
                        NodeStage.VERIFYING));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stages")
    void stage(StageRow row) {
        assertThat(row.seen().build().records().stage(row.podsOnGpus(), NOW)).isEqualTo(row.stage());
    }

    /** Every stage but IDLE and FAILED holds one of the turns {@code max-concurrent-repartitions} allows. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stages")
    void turns(StageRow row) {
        NodeRecords r = row.seen().build().records();
        boolean busy = "pending".equals(r.migState());
        assertThat(Turns.holds(r, NOW))
                .isEqualTo(busy || (row.stage() != NodeStage.IDLE && row.stage() != NodeStage.FAILED));
    }

    @org.junit.jupiter.api.Test
    void freeTurnsGoToTheWaitingNodesInNameOrder() {
        assertThat(Turns.available("gpu-b", Set.of(), List.of("gpu-c", "gpu-b", "gpu-a"), 2))
                .isTrue();
        assertThat(Turns.available("gpu-c", Set.of(), List.of("gpu-c", "gpu-b", "gpu-a"), 2))
                .isFalse();
        assertThat(Turns.available("gpu-c", Set.of("gpu-c"), List.of("gpu-a", "gpu-c"), 1))
                .isTrue();
        assertThat(Turns.available("gpu-a", Set.of("gpu-x"), List.of("gpu-a"), 1))
                .isFalse();
    }

    /** The report names exactly the deployments the observation says the change affects. */
    @org.junit.jupiter.api.Test
    void reportsNameTheAffectedDeployments() {
        Transition t = NodeTransitions.next(
                NodeStage.APPLYING, node().selected("failed", NOW).build());

        assertThat(t.report().map(NodeProgress::deployments).orElseThrow()).containsExactly("ns/web");
        assertThat(((NodeAction.Fail) t.actions().get(0)).record().deployments())
                .containsExactly("ns/web");
    }
}
