package dev.quartet.agent.annotations;

import java.util.Map;
import java.util.TreeMap;

/** Which annotations of an object must be written: those whose wanted value differs from what the object has. */
public final class AnnotationChanges {

    private AnnotationChanges() {}

    /**
     * The entries of {@code wanted} that {@code current} (the object's annotations, null for none) does not already
     * hold with the same value; empty when nothing is to be written. The agent never removes annotations.
     */
    public static Map<String, String> of(Map<String, String> current, Map<String, String> wanted) {
        Map<String, String> changes = new TreeMap<>();
        wanted.forEach((key, value) -> {
            if (current == null || !value.equals(current.get(key))) {
                changes.put(key, value);
            }
        });
        return changes;
    }
}
