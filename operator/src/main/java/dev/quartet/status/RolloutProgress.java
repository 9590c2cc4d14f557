package dev.quartet.status;

/**
 * Where the rollout of a changed spec stands after one reconcile.
 *
 * @param underWay       some replica pods were created from an older spec
 * @param oldReplicas    of those, the ones on a node and still running
 * @param maxUnavailable the deployment's spec.maxUnavailable
 * @param heldBack       every other replica is settled, yet no replica of the old spec may go now: taking a Ready
 *                       one down would leave fewer Ready than {@code replicas - max(1, maxUnavailable)}, so the
 *                       next one waits for a replacement to be Ready
 */
public record RolloutProgress(boolean underWay, int oldReplicas, int maxUnavailable, boolean heldBack) {

    public static final RolloutProgress NONE = new RolloutProgress(false, 0, 0, false);
}
