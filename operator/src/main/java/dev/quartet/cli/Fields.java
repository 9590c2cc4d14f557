package dev.quartet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** One YAML mapping of a scenario, read field by field with errors that name its path. */
record Fields(JsonNode node, String path) {

    static Fields of(JsonNode node, String path, Set<String> known) throws ScenarioException {
        if (node == null || !node.isObject()) {
            throw new ScenarioException(path + ": expected a mapping");
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ScenarioException(path + ": unknown field '" + name + "' (known: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
        return new Fields(node, path);
    }

    boolean has(String field) {
        return node.has(field) && !node.get(field).isNull();
    }

    String text(String field) throws ScenarioException {
        if (!has(field)) {
            return null;
        }
        JsonNode value = node.get(field);
        if (!value.isTextual() && !value.isNumber() && !value.isBoolean()) {
            throw new ScenarioException(path + "." + field + ": expected a string");
        }
        return value.asText();
    }

    String requiredText(String field) throws ScenarioException {
        String value = text(field);
        if (value == null || value.isBlank()) {
            throw new ScenarioException(path + ": " + field + " is required");
        }
        return value;
    }

    int requiredInt(String field) throws ScenarioException {
        if (!has(field)) {
            throw new ScenarioException(path + ": " + field + " is required");
        }
        JsonNode value = node.get(field);
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new ScenarioException(path + "." + field + ": expected an integer, got " + value);
        }
        return value.intValue();
    }

    boolean bool(String field, boolean otherwise) throws ScenarioException {
        if (!has(field)) {
            return otherwise;
        }
        JsonNode value = node.get(field);
        if (!value.isBoolean()) {
            throw new ScenarioException(path + "." + field + ": expected true or false, got " + value);
        }
        return value.booleanValue();
    }

    List<JsonNode> list(String field) throws ScenarioException {
        List<JsonNode> items = new ArrayList<>();
        if (!has(field)) {
            return items;
        }
        JsonNode value = node.get(field);
        if (!value.isArray()) {
            throw new ScenarioException(path + "." + field + ": expected a list");
        }
        value.forEach(items::add);
        return items;
    }

    List<String> textList(String field) throws ScenarioException {
        List<String> items = new ArrayList<>();
        for (JsonNode item : list(field)) {
            if (!item.isTextual()) {
                throw new ScenarioException(path + "." + field + ": expected a list of strings");
            }
            items.add(item.asText());
        }
        return items;
    }
}
