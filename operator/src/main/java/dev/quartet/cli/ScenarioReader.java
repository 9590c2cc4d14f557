package dev.quartet.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.ClusterState;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.InputValidator;
import dev.quartet.planner.InstanceState;
import dev.quartet.planner.NodeState;
import dev.quartet.planner.Placement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the YAML scenario of {@code kubectl quartet plan} (format in docs/planner.md) into planner input.
 * Every problem, from malformed YAML to an overlapping instance, is one line naming the entry.
 */
public final class ScenarioReader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public Scenario read(String text) throws ScenarioException {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JacksonException e) {
            String where =
                    e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new ScenarioException("malformed YAML" + where + ": "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        Fields top = Fields.of(root, "scenario", Set.of("nodes", "demands"));
        List<Demand> demands = new ArrayList<>();
        List<JsonNode> demandNodes = top.list("demands");
        for (int d = 0; d < demandNodes.size(); d++) {
            demands.add(demand(Fields.of(demandNodes.get(d), "demands[" + d + "]", DEMAND_FIELDS)));
        }
        List<NodeState> nodes = new ArrayList<>();
        List<JsonNode> nodeNodes = top.list("nodes");
        for (int n = 0; n < nodeNodes.size(); n++) {
            nodes.add(node(Fields.of(nodeNodes.get(n), "nodes[" + n + "]", NODE_FIELDS), demands));
        }
        ClusterState state = new ClusterState(nodes);
        String problem = InputValidator.firstProblem(state, demands).orElse(null);
        if (problem != null) {
            throw new ScenarioException(problem);
        }
        return new Scenario(state, demands);
    }

    private static final Set<String> NODE_FIELDS = Set.of("name", "gpus", "layoutFixed");
    private static final Set<String> GPU_FIELDS = Set.of("index", "model", "instances", "layoutFixed");
    private static final Set<String> INSTANCE_FIELDS =
            Set.of("profile", "start", "replica", "demand", "foreign", "movable");
    private static final Set<String> DEMAND_FIELDS = Set.of(
            "name",
            "profile",
            "memoryGiB",
            "replicas",
            "priority",
            "gpuModel",
            "movable",
            "placement",
            "eligibleNodes");

    private NodeState node(Fields node, List<Demand> demands) throws ScenarioException {
        String name = node.requiredText("name");
        List<GpuState> gpus = new ArrayList<>();
        List<JsonNode> gpuNodes = node.list("gpus");
        for (int g = 0; g < gpuNodes.size(); g++) {
            gpus.add(gpu(Fields.of(gpuNodes.get(g), node.path() + ".gpus[" + g + "]", GPU_FIELDS), demands));
        }
        return new NodeState(name, gpus, node.bool("layoutFixed", false));
    }

    private GpuState gpu(Fields gpu, List<Demand> demands) throws ScenarioException {
        int index = gpu.requiredInt("index");
        GpuModel model;
        try {
            model = GpuModel.parse(gpu.requiredText("model"));
        } catch (IllegalArgumentException e) {
            throw new ScenarioException(gpu.path() + ": " + e.getMessage());
        }
        List<InstanceState> instances = new ArrayList<>();
        List<JsonNode> instanceNodes = gpu.list("instances");
        for (int i = 0; i < instanceNodes.size(); i++) {
            Fields instance = Fields.of(instanceNodes.get(i), gpu.path() + ".instances[" + i + "]", INSTANCE_FIELDS);
            instances.add(instance(instance, demands));
        }
        return new GpuState(index, model, instances, gpu.bool("layoutFixed", false));
    }

    private InstanceState instance(Fields instance, List<Demand> demands) throws ScenarioException {
        String profile = instance.requiredText("profile");
        int start = instance.requiredInt("start");
        String replica = instance.text("replica");
        if (replica == null) {
            if (instance.has("demand") || instance.has("foreign") || instance.has("movable")) {
                throw new ScenarioException(instance.path() + ": demand, foreign and movable need a replica");
            }
            return InstanceState.free(profile, start);
        }
        if (instance.bool("foreign", false)) {
            if (instance.has("demand")) {
                throw new ScenarioException(instance.path() + ": a foreign replica has no demand");
            }
            return new InstanceState(profile, start, replica, null, false);
        }
        String demand = instance.has("demand") ? instance.requiredText("demand") : demandOf(replica);
        boolean demandMovable = demands.stream().anyMatch(d -> d.name().equals(demand) && d.movable());
        return new InstanceState(profile, start, replica, demand, instance.bool("movable", demandMovable));
    }

    /** A replica's demand when not given: its name without the last {@code -<suffix>}. */
    static String demandOf(String replica) {
        int dash = replica.lastIndexOf('-');
        return dash > replica.lastIndexOf('/') + 1 ? replica.substring(0, dash) : replica;
    }

    private Demand demand(Fields demand) throws ScenarioException {
        String name = demand.requiredText("name");
        String profile = demand.text("profile");
        Integer memory = demand.has("memoryGiB") ? demand.requiredInt("memoryGiB") : null;
        int replicas = demand.requiredInt("replicas");
        int priority = demand.has("priority") ? demand.requiredInt("priority") : 0;
        try {
            GpuModel model = demand.has("gpuModel") ? GpuModel.parse(demand.requiredText("gpuModel")) : null;
            Placement placement =
                    demand.has("placement") ? Placement.parse(demand.requiredText("placement")) : Placement.SPREAD;
            Set<String> eligible =
                    demand.has("eligibleNodes") ? new LinkedHashSet<>(demand.textList("eligibleNodes")) : null;
            return new Demand(
                    name,
                    profile,
                    memory,
                    replicas,
                    priority,
                    model,
                    demand.bool("movable", false),
                    placement,
                    eligible);
        } catch (IllegalArgumentException e) {
            throw new ScenarioException(demand.path() + ": " + e.getMessage());
        }
    }
}
