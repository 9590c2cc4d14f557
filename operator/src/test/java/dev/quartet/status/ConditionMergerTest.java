package dev.quartet.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.quartet.status.ConditionMerger.Fresh;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionMergerTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:30:45.678Z");
    private final ConditionMerger merger = new ConditionMerger(Clock.fixed(NOW, ZoneOffset.UTC));

    private static Condition previous(String type, String status, String reason, String since) {
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withMessage("before")
                .withObservedGeneration(3L)
                .withLastTransitionTime(since)
                .build();
    }

    @Test
    void newConditionsStartNowWithTheGeneration() {
        List<Condition> merged = merger.merge(
                null,
                List.of(
                        new Fresh("Ready", true, "AllReplicasReady", "2/2 replicas ready"),
                        new Fresh("Degraded", false, "AsExpected", "no problem found")),
                7L);

        assertThat(merged)
                .extracting(
                        Condition::getType,
                        Condition::getStatus,
                        Condition::getReason,
                        Condition::getMessage,
                        Condition::getObservedGeneration,
                        Condition::getLastTransitionTime)
                .containsExactly(
                        tuple("Ready", "True", "AllReplicasReady", "2/2 replicas ready", 7L, "2024-05-01T12:30:45Z"),
                        tuple("Degraded", "False", "AsExpected", "no problem found", 7L, "2024-05-01T12:30:45Z"));
    }

    @Test
    void theTransitionTimeIsKeptWhileTheStatusStaysTheSame() {
        List<Condition> merged = merger.merge(
                List.of(previous("Ready", "False", "ReplicasStarting", "2024-04-01T08:00:00Z")),
                List.of(new Fresh("Ready", false, "InsufficientSlices", "1/3 replicas ready")),
                4L);

        Condition ready = merged.get(0);
        assertThat(ready.getLastTransitionTime()).isEqualTo("2024-04-01T08:00:00Z");
        assertThat(ready.getReason()).isEqualTo("InsufficientSlices");
        assertThat(ready.getMessage()).isEqualTo("1/3 replicas ready");
        assertThat(ready.getObservedGeneration()).isEqualTo(4L);
    }

    @Test
    void theTransitionTimeMovesWhenTheStatusFlips() {
        List<Condition> merged = merger.merge(
                List.of(previous("Ready", "False", "ReplicasStarting", "2024-04-01T08:00:00Z")),
                List.of(new Fresh("Ready", true, "AllReplicasReady", "3/3 replicas ready")),
                4L);

        assertThat(merged.get(0).getStatus()).isEqualTo("True");
        assertThat(merged.get(0).getLastTransitionTime()).isEqualTo("2024-05-01T12:30:45Z");
    }

    @Test
    void aPreviousConditionWithoutTimeGetsOne() {
        Condition noTime = previous("Progressing", "True", "ReplicasStarting", null);

        List<Condition> merged = merger.merge(
                List.of(noTime),
                List.of(new Fresh("Progressing", true, "ReplicasStarting", "0 of 1 replica pods ready")),
                1L);

        assertThat(merged.get(0).getLastTransitionTime()).isEqualTo("2024-05-01T12:30:45Z");
    }

    @Test
    void eachTypeIsMatchedWithItsOwnPreviousConditionInTheFreshOrder() {
        List<Condition> previous = List.of(
                previous("Degraded", "True", "InsufficientSlices", "2024-04-02T00:00:00Z"),
                previous("Ready", "True", "AllReplicasReady", "2024-04-03T00:00:00Z"),
                previous("Obsolete", "True", "Whatever", "2024-04-04T00:00:00Z"));

        List<Condition> merged = merger.merge(
                previous,
                List.of(
                        new Fresh("Ready", true, "AllReplicasReady", "2/2 replicas ready"),
                        new Fresh("Progressing", false, "Stable", "done"),
                        new Fresh("Degraded", false, "AsExpected", "no problem found")),
                9L);

        assertThat(merged).extracting(Condition::getType).containsExactly("Ready", "Progressing", "Degraded");
        assertThat(merged)
                .extracting(Condition::getLastTransitionTime)
                .containsExactly("2024-04-03T00:00:00Z", "2024-05-01T12:30:45Z", "2024-05-01T12:30:45Z");
        assertThat(merged).extracting(Condition::getObservedGeneration).containsOnly(9L);
    }

    @Test
    void mergingTheSameFreshConditionsAgainChangesNothing() {
        List<Fresh> fresh = List.of(new Fresh("Ready", true, "AllReplicasReady", "1/1 replicas ready"));
        List<Condition> first = merger.merge(null, fresh, 2L);
        ConditionMerger later = new ConditionMerger(Clock.fixed(NOW.plusSeconds(3600), ZoneOffset.UTC));

        assertThat(later.merge(first, fresh, 2L)).isEqualTo(first);
    }
}
