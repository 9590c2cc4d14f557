package dev.quartet.inventory;

/**
 * Whether a MIG node can take new replica pods now, and if not why. Only {@code READY} nodes get new pods;
 * the others keep what runs on them.
 */
public enum NodeReadiness {
    /** MIG Manager reports success and the device plugin advertises the configured slices. */
    READY,
    /** MIG Manager is applying a config ({@code pending} or {@code rebooting}). */
    REPARTITIONING,
    /** MIG Manager succeeded but the device plugin does not advertise the configured slices yet. */
    SETTLING,
    /** MIG Manager reported {@code failed}. */
    FAILED,
    /** The node's per-GPU layout cannot be derived (unknown config, counts that fit no layout). */
    UNKNOWN_LAYOUT,
    /** Not Ready for less than the grace period: no new pods, its replicas are kept for now. */
    NOT_READY,
    /** Cordoned by an administrator. */
    CORDONED
}
