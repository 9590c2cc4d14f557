package dev.quartet.inventory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The MIG device a pod actually got, from its {@code quartet.dev/mig-device} annotation (docs/contracts.md). */
public record ReplicaSlice(int gpu, String profile, int start, String uuid) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Annotations already read: every planning pass reads every replica's, and at 2,000 replicas parsing them again
     * was a visible part of a pass. Bounded: emptied when it grows past what a large cluster holds.
     */
    private static final Map<String, Optional<ReplicaSlice>> READ = new ConcurrentHashMap<>();

    private static final int READ_MAX = 50_000;

    /** The pod's slice, or empty when nobody has reported it (yet) or the annotation is malformed. */
    public static Optional<ReplicaSlice> of(Pod pod) {
        String value = pod.getMetadata().getAnnotations() == null
                ? null
                : pod.getMetadata().getAnnotations().get(QuartetLabels.MIG_DEVICE);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        Optional<ReplicaSlice> known = READ.get(value);
        if (known != null) {
            return known;
        }
        if (READ.size() >= READ_MAX) {
            READ.clear();
        }
        Optional<ReplicaSlice> read = parse(value);
        READ.put(value, read);
        return read;
    }

    private static Optional<ReplicaSlice> parse(String value) {
        try {
            ReplicaSlice slice = JSON.readValue(value, ReplicaSlice.class);
            return slice.profile() == null ? Optional.empty() : Optional.of(slice);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
