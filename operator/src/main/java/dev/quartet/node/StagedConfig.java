package dev.quartet.node;

import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.QuartetLabels;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** A config Quartet wrote into the ConfigMap for a node, and when: node annotation {@code <config>@<time>}. */
record StagedConfig(String config, Instant at) {

    static Optional<StagedConfig> of(GpuNode n) {
        String value = n.annotation(QuartetLabels.NODE_CONFIG_STAGED);
        try {
            return configOf(value).map(c -> new StagedConfig(c, Instant.parse(value.substring(c.length() + 1))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The config an annotation value names, whatever its time. */
    static Optional<String> configOf(String value) {
        int at = value == null ? -1 : value.lastIndexOf('@');
        return at <= 0 ? Optional.empty() : Optional.of(value.substring(0, at));
    }

    String annotation() {
        return config + "@" + stamp(at);
    }

    /** Times as Quartet writes them on nodes: RFC 3339, whole seconds. */
    static String stamp(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
