package dev.quartet.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quartet.preview.PlanPreview;
import dev.quartet.preview.ReplicaExplainer;
import java.util.List;
import java.util.function.Function;

/** Prints a {@link PlanPreview} or an explanation for people (sections, one line per change) or as JSON. */
final class PreviewText {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PreviewText() {}

    static String render(PlanPreview p) {
        StringBuilder out = new StringBuilder();
        section(
                out,
                "GPUs repartitioned",
                p.repartitions(),
                r -> r.node() + " GPU " + r.gpu() + " (" + r.model() + "): "
                        + r.from() + " -> " + r.to()
                        + (r.drained().isEmpty()
                                ? ""
                                : "; its replicas leave first: " + String.join(", ", r.drained())));
        section(
                out,
                "Replicas created",
                p.placed(),
                n -> n.deployment() + " on " + n.slot()
                        + (n.afterRepartition() ? ", after its GPU is repartitioned" : ""));
        section(out, "Replicas moved", p.moved(), m -> m.replica() + ": " + m.from() + " -> " + m.to());
        section(
                out,
                "Replicas pre-empted (a higher priority takes the slice, no replacement)",
                p.preempted(),
                e -> e.replica() + " on " + e.from());
        section(out, "Replicas removed", p.removed(), r -> r.replica() + " on " + r.from() + ": " + r.why());
        out.append("Pending: ").append(p.pendingReplicas() == 0 ? "none" : p.pendingReplicas() + " replicas");
        out.append('\n');
        for (PlanPreview.Pending pending : p.pending()) {
            List<String> sentences = pending.sentences();
            out.append("  ")
                    .append(pending.deployment())
                    .append(": ")
                    .append(sentences.get(0))
                    .append('\n');
            sentences
                    .subList(1, sentences.size())
                    .forEach(s -> out.append("    ").append(s).append('\n'));
        }
        return out.toString();
    }

    private static <T> void section(StringBuilder out, String title, List<T> items, Function<T, String> line) {
        out.append(title)
                .append(": ")
                .append(items.isEmpty() ? "none" : items.size())
                .append('\n');
        items.forEach(i -> out.append("  ").append(line.apply(i)).append('\n'));
    }

    static String render(ReplicaExplainer.Explanation e) {
        StringBuilder out = new StringBuilder(e.deployment() + ": " + e.summary() + "\n");
        int width =
                e.replicas().stream().mapToInt(l -> l.subject().length()).max().orElse(0);
        if (!e.replicas().isEmpty()) {
            out.append("Replicas:\n");
            e.replicas()
                    .forEach(l -> out.append("  ")
                            .append(String.format("%-" + width + "s", l.subject()))
                            .append("  ")
                            .append(l.text())
                            .append('\n'));
        }
        java.util.Optional.ofNullable(e.pending()).ifPresent(p -> {
            List<String> sentences = p.sentences();
            out.append("Not placed: ").append(sentences.get(0)).append('\n');
            sentences
                    .subList(1, sentences.size())
                    .forEach(s -> out.append("  ").append(s).append('\n'));
            out.append("GPUs it could not use:\n");
            e.unusable()
                    .forEach(l -> out.append("  ")
                            .append(l.subject())
                            .append(": ")
                            .append(l.text())
                            .append('\n'));
        });
        return out.toString();
    }

    static String json(Object value, ObjectNode head) {
        try {
            ObjectNode tree = JSON.createObjectNode();
            if (head != null) {
                tree.setAll(head);
            }
            tree.setAll((ObjectNode) JSON.valueToTree(value));
            return JSON.writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
