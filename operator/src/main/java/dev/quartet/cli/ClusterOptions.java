package dev.quartet.cli;

import dev.quartet.inventory.NodeBackend;
import dev.quartet.preview.PlanningSettings;
import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How {@code kubectl quartet} reads the live cluster and plans as the operator does: MIG Manager's ConfigMap, the
 * namespaces the operator serves and its planner settings. Each comes from a flag, else the operator's environment
 * variable (so a shell that has the operator's environment plans alike), else the operator's default.
 *
 * @param namespaces the namespaces whose InferenceDeployments are planned; empty: every namespace
 */
record ClusterOptions(LayoutCommand.MigSource mig, List<String> namespaces, PlanningSettings settings) {

    /** Flags that take a value, shared by the subcommands that read the cluster. */
    static final Set<String> FLAGS = Set.of(
            "--mig-namespace",
            "--mig-configmap",
            "--mig-key",
            "--watch-namespaces",
            "--idle-gpu-cover-min-slices",
            "--repartition-enabled",
            "--node-lost-after",
            "--backend");

    static final String USAGE =
            "[--mig-namespace NS] [--mig-configmap NAME] [--mig-key KEY] [--watch-namespaces NS,...]"
                    + " [--idle-gpu-cover-min-slices N] [--repartition-enabled true|false] [--node-lost-after DURATION]"
                    + " [--backend auto|migManager|dra]";

    static ClusterOptions from(Args args, Map<String, String> env) {
        LayoutCommand.MigSource mig = new LayoutCommand.MigSource(
                args.last("--mig-namespace").orElse(env.getOrDefault("QUARTET_MIG_MANAGER_NAMESPACE", "gpu-operator")),
                args.last("--mig-configmap")
                        .orElse(env.getOrDefault("QUARTET_MIG_MANAGER_CONFIG_MAP_NAME", "default-mig-parted-config")),
                args.last("--mig-key").orElse(env.getOrDefault("QUARTET_MIG_MANAGER_CONFIG_KEY", "config.yaml")));
        String namespaces = args.last("--watch-namespaces")
                .orElse(env.getOrDefault("QUARKUS_OPERATOR_SDK_CONTROLLERS_INFERENCEDEPLOYMENT_NAMESPACES", ""));
        PlanningSettings defaults = PlanningSettings.DEFAULTS;
        String idle = args.last("--idle-gpu-cover-min-slices")
                .orElse(env.getOrDefault(
                        "QUARTET_PLANNER_IDLE_GPU_COVER_MIN_SLICES", String.valueOf(defaults.idleGpuCoverMinSlices())));
        String repartition = args.last("--repartition-enabled")
                .orElse(env.getOrDefault("QUARTET_MIG_MANAGER_REPARTITION_ENABLED", "true"));
        String lostAfter = args.last("--node-lost-after").orElse(env.get("QUARTET_NODE_LOST_AFTER"));
        NodeBackend.Choice backend =
                NodeBackend.Choice.parse(args.last("--backend").orElse(env.getOrDefault("QUARTET_BACKEND", "auto")));
        int idleSlices;
        try {
            idleSlices = Integer.parseInt(idle);
        } catch (NumberFormatException e) {
            idleSlices = -1;
        }
        if (idleSlices < 0) {
            throw new IllegalArgumentException(
                    "--idle-gpu-cover-min-slices takes a whole number, 0 or more (got '" + idle + "')");
        }
        if (!repartition.equals("true") && !repartition.equals("false")) {
            throw new IllegalArgumentException("--repartition-enabled takes true or false (got '" + repartition + "')");
        }
        Duration lost = defaults.nodeLostAfter();
        if (lostAfter != null) {
            try {
                lost = DurationConverter.parseDuration(lostAfter);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "--node-lost-after takes a duration such as 30s or 2m (got '" + lostAfter + "')");
            }
        }
        return new ClusterOptions(
                mig,
                Arrays.stream(namespaces.split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList(),
                new PlanningSettings(Boolean.parseBoolean(repartition), lost, idleSlices, false, backend));
    }
}
