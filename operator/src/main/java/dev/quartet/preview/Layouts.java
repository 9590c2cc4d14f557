package dev.quartet.preview;

import dev.quartet.planner.Instance;
import dev.quartet.planner.InstanceState;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A GPU layout in words, as administrators write it: {@code 4x1g.6gb}, {@code 2x1g.6gb + 2g.12gb}. */
public final class Layouts {

    private Layouts() {}

    /** Profiles in the order of their first start slot, each with its count when more than one. */
    public static String describe(List<Instance> layout) {
        if (layout.isEmpty()) {
            return "no MIG instances";
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        layout.stream()
                .sorted(Comparator.comparingInt(Instance::start))
                .forEach(i -> counts.merge(i.profile(), 1, Integer::sum));
        return counts.entrySet().stream()
                .map(e -> e.getValue() == 1 ? e.getKey() : e.getValue() + "x" + e.getKey())
                .collect(Collectors.joining(" + "));
    }

    /** The current layout of a GPU's instances. */
    public static String describeCurrent(List<InstanceState> instances) {
        return describe(instances.stream().map(InstanceState::instance).toList());
    }
}
