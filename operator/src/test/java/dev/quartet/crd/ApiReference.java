package dev.quartet.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders docs/api-reference.md from the committed CRD: the printer columns (those of priority above 0, which
 * {@code kubectl get} shows only with {@code -o wide}, marked "(wide)"), every field of spec and status with
 * its type, default, constraints and description, and every CEL validation rule with the field it names and its
 * message. Fields with a schema of their own from Kubernetes (resources, env, tolerations, conditions) are listed,
 * not expanded.
 */
public final class ApiReference {

    private static final Set<String> OPAQUE =
            Set.of("spec.worker.resources", "spec.worker.env", "spec.worker.tolerations", "status.conditions");

    private ApiReference() {}

    public static String render(String crdText) throws IOException {
        JsonNode crd = new YAMLMapper().readTree(crdText);
        JsonNode version = crd.path("spec").path("versions").get(0);
        JsonNode schema = version.path("schema").path("openAPIV3Schema");
        StringBuilder out = new StringBuilder();
        out.append("# InferenceDeployment API reference\n\n")
                .append("<!-- Generated from crds/")
                .append(CrdExport.FILE)
                .append(" by hack/update-crds.sh; ApiReferenceTest fails when it is out of date. -->\n\n")
                .append("`")
                .append(crd.path("spec").path("group").asText())
                .append("/")
                .append(version.path("name").asText())
                .append("`, kind `")
                .append(crd.path("spec").path("names").path("kind").asText())
                .append("`, namespaced, short name `")
                .append(crd.path("spec").path("names").path("shortNames").get(0).asText())
                .append("`. ")
                .append("Scale subresource: `kubectl scale infd NAME --replicas=N` (and HPAs) set `spec.replicas`.\n\n")
                .append("`kubectl get infd` columns: ");
        List<String> columns = new ArrayList<>();
        boolean wide = false;
        for (JsonNode c : version.path("additionalPrinterColumns")) {
            String column = c.path("name").asText() + " (`" + c.path("jsonPath").asText() + "`)";
            if (c.path("priority").asInt(0) > 0) {
                column += " (wide)";
                wide = true;
            }
            columns.add(column);
        }
        out.append(String.join(", ", columns)).append(".");
        if (wide) {
            out.append(" Columns marked (wide) are shown only with `-o wide`.");
        }
        out.append("\n");
        List<Rule> rules = new ArrayList<>();
        rules("", schema, rules);
        Set<String> ruled = new HashSet<>();
        rules.forEach(r -> ruled.add(r.field()));
        for (String part : List.of("spec", "status")) {
            out.append("\n## ")
                    .append(part)
                    .append("\n\n")
                    .append("| field | type | default | constraints | description |\n")
                    .append("|---|---|---|---|---|\n");
            JsonNode node = schema.path("properties").path(part);
            fields(part, node, ruled, out);
        }
        if (!rules.isEmpty()) {
            out.append("\n## Validation rules\n\n")
                    .append(
                            "The API server checks these CEL rules (`x-kubernetes-validations`) besides the constraints ")
                    .append(
                            "above, on every create and update, and refuses the object with the message (`kubectl apply` ")
                    .append(
                            "prints it after the field). Where a message is computed, it is shown as the expression that ")
                    .append("computes it, after the message given when that expression fails. A field that does not ")
                    .append(
                            "change keeps an error it already had (validation ratcheting): the operator then reports it ")
                    .append("as `InvalidSpec`.\n\n")
                    .append("| field | rule | message |\n")
                    .append("|---|---|---|\n");
            for (Rule r : rules) {
                out.append("| `")
                        .append(r.field())
                        .append("` | ")
                        .append(code(r.rule()))
                        .append(" | ")
                        .append(cell(r.message()));
                if (r.messageExpression() != null) {
                    out.append("<br>computed: ").append(code(r.messageExpression()));
                }
                out.append(" |\n");
            }
        }
        return out.toString();
    }

    /** One CEL rule, under the field it names: its schema node's path plus its {@code fieldPath}. */
    record Rule(String field, String rule, String message, String messageExpression) {}

    private static void rules(String path, JsonNode node, List<Rule> out) {
        for (JsonNode v : node.path("x-kubernetes-validations")) {
            String field = path + v.path("fieldPath").asText("");
            out.add(new Rule(
                    field.isEmpty() ? "(the whole object)" : field.replaceFirst("^\\.", ""),
                    v.path("rule").asText(),
                    v.path("message").asText(""),
                    v.has("messageExpression") ? v.get("messageExpression").asText() : null));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            rules(path + "." + e.getKey(), e.getValue(), out);
        }
        if (node.has("items")) {
            rules(path + "[]", node.get("items"), out);
        }
    }

    /** A Markdown code span that survives backticks and table pipes in its text. */
    private static String code(String text) {
        String fence = text.contains("`") ? "``" : "`";
        return fence
                + (fence.length() > 1 ? " " : "")
                + text.replace("|", "\\|")
                + (fence.length() > 1 ? " " : "")
                + fence;
    }

    /** Text in a table cell: pipes escaped, and angle brackets too, which Markdown would read as HTML tags. */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static void fields(String path, JsonNode node, Set<String> ruled, StringBuilder out) {
        Set<String> required = new HashSet<>();
        node.path("required").forEach(r -> required.add(r.asText()));
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = path + "." + e.getKey();
            JsonNode f = e.getValue();
            out.append("| `")
                    .append(field)
                    .append("` | ")
                    .append(type(f))
                    .append(" | ")
                    .append(f.has("default") ? "`" + f.get("default").asText() + "`" : "")
                    .append(" | ")
                    .append(constraints(f, required.contains(e.getKey()), ruled.contains(field)))
                    .append(" | ")
                    .append(cell(f.path("description").asText("")))
                    .append(" |\n");
            if (OPAQUE.contains(field)) {
                continue;
            }
            if (f.has("properties")) {
                fields(field, f, ruled, out);
            } else if (f.path("items").has("properties")) {
                fields(field + "[]", f.path("items"), ruled, out);
            }
        }
    }

    private static String type(JsonNode f) {
        String t = f.path("type").asText("object");
        return "array".equals(t) ? "array of " + f.path("items").path("type").asText("object") : t;
    }

    private static String constraints(JsonNode f, boolean required, boolean ruled) {
        List<String> c = new ArrayList<>();
        if (required) {
            c.add("required");
        }
        if (f.has("enum")) {
            List<String> values = new ArrayList<>();
            f.get("enum").forEach(v -> values.add("`" + v.asText() + "`"));
            c.add("one of " + String.join(", ", values));
        }
        if (f.has("minimum")) {
            c.add("min " + f.get("minimum").asLong());
        }
        if (f.has("maximum")) {
            c.add("max " + f.get("maximum").asLong());
        }
        if (f.has("pattern")) {
            c.add("pattern `" + f.get("pattern").asText().replace("|", "\\|") + "`");
        }
        if (f.has("minLength")) {
            c.add("min length " + f.get("minLength").asLong());
        }
        if (f.has("maxLength")) {
            c.add("max length " + f.get("maxLength").asLong());
        }
        if (f.has("minItems")) {
            c.add("min items " + f.get("minItems").asLong());
        }
        if (f.has("maxItems")) {
            c.add("max items " + f.get("maxItems").asLong());
        }
        if (ruled) {
            c.add("[rules](#validation-rules)");
        }
        return String.join("; ", c);
    }

    /** {@code ApiReference <crd file> <markdown file>}. */
    public static void main(String[] args) throws IOException {
        Files.writeString(Path.of(args[1]), render(Files.readString(Path.of(args[0]))));
        System.out.println("wrote " + args[1]);
    }
}
