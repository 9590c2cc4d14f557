package dev.quartet.inventory;

import java.util.Locale;

/**
 * How a node's MIG GPUs are partitioned: by NVIDIA's MIG Manager (a layout per GPU, changed for the whole node
 * through the mig-parted ConfigMap, slices handed out by the device plugin) or by NVIDIA's DRA driver with DynamicMIG
 * (an instance per ResourceClaim at the placement the claim is allocated).
 */
public enum NodeBackend {
    MIG_MANAGER,
    DRA;

    /**
     * Which backend the operator uses ({@code quartet.backend}, chart value {@code backend}): {@code auto} takes
     * each node as it offers itself (ResourceSlices of NVIDIA's DRA driver with MIG devices: DRA; else MIG Manager's
     * labels: MIG Manager); {@code mig-manager} or {@code dra} use only the nodes of that one.
     */
    public enum Choice {
        AUTO,
        MIG_MANAGER,
        DRA;

        /** {@code auto}, {@code mig-manager}/{@code migManager}, {@code dra}, in any case. */
        public static Choice parse(String value) {
            String v = value == null
                    ? "auto"
                    : value.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
            return switch (v) {
                case "", "auto" -> AUTO;
                case "migmanager" -> MIG_MANAGER;
                case "dra" -> DRA;
                default ->
                    throw new IllegalArgumentException("backend must be auto, migManager or dra, not '" + value + "'");
            };
        }

        public boolean allows(NodeBackend backend) {
            return this == AUTO || name().equals(backend.name());
        }
    }
}
