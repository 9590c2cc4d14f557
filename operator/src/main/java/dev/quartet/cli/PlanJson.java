package dev.quartet.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.Instance;
import dev.quartet.planner.Plan;
import dev.quartet.planner.Unsatisfied;

/** The JSON form of a {@link Plan}: pretty-printed, fields in a fixed order, so equal plans print equal bytes. */
public final class PlanJson {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PlanJson() {}

    public static String write(Plan plan) {
        try {
            return JSON.writeValueAsString(tree(plan)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write plan", e);
        }
    }

    public static ObjectNode tree(Plan plan) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode gpus = root.putArray("gpus");
        plan.gpus().forEach(gpu -> gpus.add(gpu(gpu)));
        ArrayNode assignments = root.putArray("assignments");
        plan.assignments().forEach(a -> assignments.add(assignment(a)));
        ArrayNode moved = root.putArray("moved");
        plan.moved().forEach(moved::add);
        ArrayNode released = root.putArray("released");
        plan.released().forEach(released::add);
        ArrayNode unsatisfied = root.putArray("unsatisfied");
        plan.unsatisfied().forEach(u -> unsatisfied.add(unsatisfied(u)));
        return root;
    }

    private static ObjectNode gpu(GpuPlan gpu) {
        ObjectNode node = JSON.createObjectNode();
        node.put("node", gpu.node());
        node.put("index", gpu.index());
        node.put("model", gpu.model().displayName());
        ArrayNode layout = node.putArray("layout");
        for (Instance instance : gpu.layout()) {
            layout.addObject().put("profile", instance.profile()).put("start", instance.start());
        }
        node.put("repartition", gpu.repartition());
        return node;
    }

    private static ObjectNode assignment(Assignment assignment) {
        ObjectNode node = JSON.createObjectNode();
        node.put("demand", assignment.demand());
        node.put("node", assignment.node());
        node.put("gpu", assignment.gpu());
        node.put("profile", assignment.profile());
        node.put("start", assignment.start());
        node.put("existing", assignment.existing());
        if (assignment.replica() != null) {
            node.put("replica", assignment.replica());
        }
        return node;
    }

    private static ObjectNode unsatisfied(Unsatisfied unsatisfied) {
        ObjectNode node = JSON.createObjectNode();
        node.put("demand", unsatisfied.demand());
        node.put("missing", unsatisfied.missing());
        node.put("reason", unsatisfied.reason().name());
        return node;
    }
}
