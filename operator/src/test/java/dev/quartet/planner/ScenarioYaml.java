package dev.quartet.planner;

import java.util.List;
import java.util.TreeSet;

/** Writes planner input in the scenario format of {@code kubectl quartet plan}, to reproduce a failing case. */
final class ScenarioYaml {

    private ScenarioYaml() {}

    static String write(ClusterState state, List<Demand> demands) {
        StringBuilder yaml = new StringBuilder("nodes:\n");
        for (NodeState node : state.nodes()) {
            yaml.append("  - name: ")
                    .append(node.name())
                    .append(node.layoutFixed() ? "\n    layoutFixed: true" : "")
                    .append("\n    gpus:\n");
            for (GpuState gpu : node.gpus()) {
                yaml.append("      - index: ")
                        .append(gpu.index())
                        .append("\n        model: ")
                        .append(gpu.model().displayName())
                        .append(gpu.layoutFixed() ? "\n        layoutFixed: true" : "")
                        .append("\n        instances:")
                        .append(gpu.instances().isEmpty() ? " []\n" : "\n");
                for (InstanceState i : gpu.instances()) {
                    yaml.append("          - {profile: ")
                            .append(i.profile())
                            .append(", start: ")
                            .append(i.start());
                    if (i.replica() != null) {
                        yaml.append(", replica: ")
                                .append(i.replica())
                                .append(
                                        i.isForeign()
                                                ? ", foreign: true"
                                                : ", demand: " + i.demand() + ", movable: " + i.movable());
                    }
                    yaml.append("}\n");
                }
            }
        }
        yaml.append("demands:\n");
        for (Demand d : demands) {
            yaml.append("  - {name: ")
                    .append(d.name())
                    .append(d.profile() != null ? ", profile: " + d.profile() : ", memoryGiB: " + d.memoryGiB())
                    .append(", replicas: ")
                    .append(d.replicas())
                    .append(", priority: ")
                    .append(d.priority())
                    .append(d.gpuModel() != null ? ", gpuModel: " + d.gpuModel().displayName() : "")
                    .append(", movable: ")
                    .append(d.movable())
                    .append(", placement: ")
                    .append(d.placement().displayName())
                    .append(d.eligibleNodes() != null ? ", eligibleNodes: " + new TreeSet<>(d.eligibleNodes()) : "")
                    .append("}\n");
        }
        return yaml.toString();
    }
}
