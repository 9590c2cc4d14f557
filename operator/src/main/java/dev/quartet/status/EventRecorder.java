package dev.quartet.status;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records Kubernetes Events for decisions an administrator wants to see (placed, unschedulable, invalid spec,
 * repartition steps). The same event for the same object is not repeated within {@link #REPEAT_AFTER}.
 */
@ApplicationScoped
public class EventRecorder {

    static final Duration REPEAT_AFTER = Duration.ofMinutes(10);
    private static final int REMEMBERED = 4096;

    @Inject
    KubernetesClient client;

    private final Clock clock = Clock.systemUTC();
    private final Map<String, Instant> recent = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
            return size() > REMEMBERED;
        }
    };

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    private void record(HasMetadata about, String type, String reason, String message) {
        String key = about.getMetadata().getUid() + "|" + reason + "|" + message;
        Instant now = Instant.now(clock);
        synchronized (recent) {
            Instant last = recent.get(key);
            if (last != null && last.plus(REPEAT_AFTER).isAfter(now)) {
                return;
            }
            recent.put(key, now);
        }
        String namespace = about.getMetadata().getNamespace() == null
                ? "default"
                : about.getMetadata().getNamespace();
        String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1()
                    .events()
                    .inNamespace(namespace)
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withGenerateName(about.getMetadata().getName() + ".")
                            .withNamespace(namespace)
                            .endMetadata()
                            .withInvolvedObject(new ObjectReferenceBuilder()
                                    .withApiVersion(about.getApiVersion())
                                    .withKind(about.getKind())
                                    .withName(about.getMetadata().getName())
                                    .withNamespace(about.getMetadata().getNamespace())
                                    .withUid(about.getMetadata().getUid())
                                    .build())
                            .withType(type)
                            .withReason(reason)
                            .withMessage(truncate(message))
                            .withNewSource()
                            .withComponent("quartet-operator")
                            .endSource()
                            .withFirstTimestamp(time)
                            .withLastTimestamp(time)
                            .withCount(1)
                            .build())
                    .create();
        } catch (KubernetesClientException e) {
            Log.debugf(
                    "could not record event %s on %s/%s: %s",
                    reason, namespace, about.getMetadata().getName(), e.getMessage());
        }
    }

    private static String truncate(String message) {
        return message.length() > 1000 ? message.substring(0, 997) + "..." : message;
    }
}
