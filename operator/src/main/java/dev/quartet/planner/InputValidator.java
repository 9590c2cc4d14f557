package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfileName;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Checks a cluster state and demands before planning; each problem is one line naming the offending entry. */
public final class InputValidator {

    private InputValidator() {}

    /** The first problem found, as {@code path: message} (e.g. {@code nodes[0].gpus[1]: duplicate GPU index 0...}). */
    public static Optional<String> firstProblem(ClusterState state, List<Demand> demands) {
        List<String> problems = problems(state, demands);
        return problems.isEmpty() ? Optional.empty() : Optional.of(problems.get(0));
    }

    public static List<String> problems(ClusterState state, List<Demand> demands) {
        List<String> problems = new ArrayList<>();
        Set<String> nodeNames = new HashSet<>();
        Map<String, String> replicas = new HashMap<>();
        for (int n = 0; n < state.nodes().size(); n++) {
            NodeState node = state.nodes().get(n);
            String path = "nodes[" + n + "]";
            if (node.name() == null || node.name().isBlank()) {
                problems.add(path + ": node name is missing");
            } else if (!nodeNames.add(node.name())) {
                problems.add(path + ": duplicate node name " + node.name());
            }
            checkGpus(path, node, replicas, problems);
        }
        Set<String> demandNames = new HashSet<>();
        for (int d = 0; d < demands.size(); d++) {
            checkDemand("demands[" + d + "]", demands.get(d), demandNames, problems);
        }
        return problems;
    }

    private static void checkGpus(
            String nodePath, NodeState node, Map<String, String> replicas, List<String> problems) {
        Set<Integer> indexes = new HashSet<>();
        for (int g = 0; g < node.gpus().size(); g++) {
            GpuState gpu = node.gpus().get(g);
            String path = nodePath + ".gpus[" + g + "]";
            if (gpu.index() < 0) {
                problems.add(path + ": negative GPU index " + gpu.index());
            } else if (!indexes.add(gpu.index())) {
                problems.add(path + ": duplicate GPU index " + gpu.index() + " on node " + node.name());
            }
            if (gpu.model() == null) {
                problems.add(path + ": GPU model is missing (legal: " + GpuModel.legalNames() + ")");
                continue;
            }
            checkInstances(path, gpu, replicas, problems);
        }
    }

    private static void checkInstances(
            String gpuPath, GpuState gpu, Map<String, String> replicas, List<String> problems) {
        List<Instance> prefix = new ArrayList<>();
        boolean legal = LayoutCatalog.isLegal(
                gpu.model(),
                gpu.instances().stream().map(InstanceState::instance).toList());
        for (int i = 0; i < gpu.instances().size(); i++) {
            InstanceState instance = gpu.instances().get(i);
            String path = gpuPath + ".instances[" + i + "]";
            prefix.add(instance.instance());
            List<String> violations = legal ? List.of() : LayoutCatalog.violations(gpu.model(), prefix);
            if (!violations.isEmpty()) {
                problems.add(path + ": " + violations.get(0));
                prefix.remove(prefix.size() - 1);
            }
            if (instance.replica() != null) {
                String first = replicas.putIfAbsent(instance.replica(), path);
                if (first != null) {
                    problems.add(path + ": replica " + instance.replica() + " already runs at " + first);
                }
            }
        }
    }

    private static void checkDemand(String path, Demand demand, Set<String> names, List<String> problems) {
        if (demand.name() == null || demand.name().isBlank()) {
            problems.add(path + ": demand name is missing");
        } else if (!names.add(demand.name())) {
            problems.add(path + ": duplicate demand name " + demand.name());
        }
        if (demand.replicas() < 0) {
            problems.add(path + ": replicas must not be negative (got " + demand.replicas() + ")");
        }
        if ((demand.profile() == null) == (demand.memoryGiB() == null)) {
            problems.add(path + ": give exactly one of profile and memoryGiB");
        } else if (demand.memoryGiB() != null && demand.memoryGiB() <= 0) {
            problems.add(path + ": memoryGiB must be positive (got " + demand.memoryGiB() + ")");
        } else if (demand.profile() != null) {
            checkProfile(path, demand, problems);
        }
    }

    private static void checkProfile(String path, Demand demand, List<String> problems) {
        if (demand.gpuModel() != null) {
            if (demand.gpuModel().profile(demand.profile()).isEmpty()) {
                problems.add(path + ": unknown profile '" + demand.profile() + "' for "
                        + demand.gpuModel().displayName() + " (legal: "
                        + demand.gpuModel().profileNames()
                        + ")");
            }
        } else if (MigProfileName.gpuInstanceNameProblem(demand.profile()) != null) {
            // A well-formed name no model has is no input error: a GPU reported at run time may have it, and the
            // plan then says no GPU has it (UnsatisfiedReason.NoMatchingGpuModel).
            StringBuilder legal = new StringBuilder();
            for (GpuModel model : GpuModel.builtIns()) {
                legal.append(legal.length() == 0 ? "" : "; ")
                        .append(model.displayName())
                        .append(": ")
                        .append(model.profileNames());
            }
            problems.add(
                    path + ": " + MigProfileName.gpuInstanceNameProblem(demand.profile()) + " (legal: " + legal + ")");
        }
    }
}
