package dev.quartet.planner;

import java.util.Locale;

/** How a demand's replicas are placed across nodes: spread (default) or packed together. */
public enum Placement {
    SPREAD,
    PACK;

    public static Placement parse(String value) {
        for (Placement placement : values()) {
            if (placement.name().equalsIgnoreCase(value)) {
                return placement;
            }
        }
        throw new IllegalArgumentException("unknown placement '" + value + "' (legal: spread, pack)");
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
