package dev.quartet.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Merges freshly computed conditions into the previous ones, keeping lastTransitionTime unless status flips. */
public final class ConditionMerger {

    private final Clock clock;

    public ConditionMerger(Clock clock) {
        this.clock = clock;
    }

    /** A condition as computed now, before merging. */
    public record Fresh(String type, boolean status, String reason, String message) {}

    /** The merged list, in the order of {@code fresh}. */
    public List<Condition> merge(List<Condition> previous, List<Fresh> fresh, Long generation) {
        List<Condition> merged = new ArrayList<>();
        for (Fresh f : fresh) {
            String status = f.status() ? "True" : "False";
            Condition old = previous == null
                    ? null
                    : previous.stream()
                            .filter(c -> f.type().equals(c.getType()))
                            .findFirst()
                            .orElse(null);
            String transition =
                    old != null && Objects.equals(old.getStatus(), status) && old.getLastTransitionTime() != null
                            ? old.getLastTransitionTime()
                            : Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
            merged.add(new ConditionBuilder()
                    .withType(f.type())
                    .withStatus(status)
                    .withReason(f.reason())
                    .withMessage(f.message())
                    .withObservedGeneration(generation)
                    .withLastTransitionTime(transition)
                    .build());
        }
        return merged;
    }
}
