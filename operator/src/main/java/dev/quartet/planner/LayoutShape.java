package dev.quartet.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A layout as the planner handles it: profile indexes and starts sorted by start, its occupancy mask and code. */
public record LayoutShape(int[] profileIndex, int[] starts, int mask, int code) {

    static LayoutShape of(LayoutCatalog catalog, int[] profileIndex, int[] starts) {
        Integer[] order = new Integer[starts.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(
                order,
                (a, b) -> starts[a] != starts[b]
                        ? Integer.compare(starts[a], starts[b])
                        : Integer.compare(profileIndex[a], profileIndex[b]));
        int[] sortedProfiles = new int[order.length];
        int[] sortedStarts = new int[order.length];
        int mask = 0;
        for (int i = 0; i < order.length; i++) {
            sortedProfiles[i] = profileIndex[order[i]];
            sortedStarts[i] = starts[order[i]];
            int slices = catalog.profile(sortedProfiles[i]).memorySlices();
            mask |= ((1 << slices) - 1) << sortedStarts[i];
        }
        return new LayoutShape(sortedProfiles, sortedStarts, mask, catalog.encode(sortedProfiles));
    }

    public int size() {
        return starts.length;
    }

    public List<Instance> instances(LayoutCatalog catalog) {
        List<Instance> instances = new ArrayList<>();
        for (int i = 0; i < starts.length; i++) {
            instances.add(new Instance(catalog.profile(profileIndex[i]).name(), starts[i]));
        }
        return instances;
    }

    public boolean sameLayout(LayoutShape other) {
        return Arrays.equals(profileIndex, other.profileIndex) && Arrays.equals(starts, other.starts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayoutShape other && sameLayout(other);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(profileIndex) + Arrays.hashCode(starts);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < starts.length; i++) {
            text.append(i == 0 ? "" : ", ").append(profileIndex[i]).append('@').append(starts[i]);
        }
        return text.append(']').toString();
    }
}
