package dev.quartet.status;

import dev.quartet.planner.Unsatisfied;
import dev.quartet.planner.UnsatisfiedReason;
import java.util.ArrayList;
import java.util.List;

/**
 * The words for a deployment whose replicas have no slice: what the planner's reason means, and what would make
 * them fit. The Degraded condition, its Event, the admission webhook's warnings and {@code kubectl quartet} all say
 * it this way, so that what the webhook warned at {@code kubectl apply} is what the status says later.
 */
public final class ShortfallMessage {

    private ShortfallMessage() {}

    /** {@code 2 of 4 replicas have no MIG slice: every GPU that could hold this profile is full}. */
    public static String headline(Unsatisfied u, int desired) {
        return u.missing() + " of " + desired + " replicas have no MIG slice: " + meaning(u.reason());
    }

    /**
     * The sentences, in order: the headline, then each way that would fit more replicas ({@code wouldFit}, found by
     * planning again with one knob changed), or, when none was found, the knobs that usually help with this reason.
     */
    public static List<String> sentences(Unsatisfied u, int desired, List<String> wouldFit) {
        List<String> sentences = new ArrayList<>();
        sentences.add(headline(u, desired));
        if (wouldFit.isEmpty()) {
            sentences.add("what may help: " + usualKnobs(u.reason()));
        } else {
            wouldFit.forEach(w -> sentences.add("would fit: " + w));
        }
        return sentences;
    }

    /** The sentences joined as the condition's message. */
    public static String message(Unsatisfied u, int desired, List<String> wouldFit) {
        return String.join("; ", sentences(u, desired, wouldFit));
    }

    /** What the planner's reason means. */
    public static String meaning(UnsatisfiedReason reason) {
        return switch (reason) {
            case InsufficientSlices -> "every GPU that could hold this profile is full";
            case NoMatchingGpuModel ->
                "no eligible node has a GPU of the requested model, or of a model with this profile";
            case ProfileTooLargeForModel ->
                "the memory asked for exceeds the largest MIG profile of every eligible GPU model";
            case BlockedByRunningReplicas -> "free slices exist only on GPUs whose running replicas may not move";
        };
    }

    /** The knobs that usually help with a reason, when planning again found none that would. */
    static String usualKnobs(UnsatisfiedReason reason) {
        return switch (reason) {
            case InsufficientSlices -> "add GPUs, lower other deployments' replicas or raise this one's priority";
            case NoMatchingGpuModel ->
                "check slice.profile (no GPU in the cluster may have it), slice.gpuModel, worker.nodeSelector and"
                        + " tolerations";
            case ProfileTooLargeForModel -> "lower slice.memoryGiB or add larger GPUs";
            case BlockedByRunningReplicas -> "set movable: true on those deployments or free the GPUs";
        };
    }
}
