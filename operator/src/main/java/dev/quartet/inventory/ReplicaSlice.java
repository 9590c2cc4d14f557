package dev.quartet.inventory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/** The MIG device a pod actually got, from its {@code quartet.dev/mig-device} annotation (docs/contracts.md). */
public record ReplicaSlice(int gpu, String profile, int start, String uuid) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The pod's slice, or empty when nobody has reported it (yet) or the annotation is malformed. */
    public static Optional<ReplicaSlice> of(Pod pod) {
        String value = pod.getMetadata().getAnnotations() == null
                ? null
                : pod.getMetadata().getAnnotations().get(QuartetLabels.MIG_DEVICE);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            ReplicaSlice slice = JSON.readValue(value, ReplicaSlice.class);
            return slice.profile() == null ? Optional.empty() : Optional.of(slice);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
