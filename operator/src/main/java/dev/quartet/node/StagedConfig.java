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

    /**
     * The record of {@code config} written into the ConfigMap just now: the pass decided at {@code decided} (its plan
     * may have been computed a while before, and the write itself takes time on a busy API server), the write ended at
     * {@code written} (the wall clock after it). The later of the two, rounded up to the next whole second (the
     * annotation's resolution): MIG Manager's mounted copy follows the ConfigMap from the write on, so the propagation
     * delay counted from an earlier time, or from a time rounded down, is a shorter wait than configured, and a
     * config selected before the copy shows it fails ({@code selected mig-config not present}).
     */
    static StagedConfig written(String config, Instant decided, Instant written) {
        Instant at = written.isAfter(decided) ? written : decided;
        Instant whole = at.truncatedTo(ChronoUnit.SECONDS);
        return new StagedConfig(config, whole.equals(at) ? whole : whole.plusSeconds(1));
    }

    String annotation() {
        return config + "@" + stamp(at);
    }

    /** Times as Quartet writes them on nodes: RFC 3339, whole seconds. */
    static String stamp(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
