package dev.quartet.agent.annotations;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.agent.core.AnnotationSink;
import dev.quartet.nvidia.NodeAgentReport;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.cache.Store;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Writes the annotations a pass wants, each object at most once per pass and only where its value differs (one JSON
 * merge patch per object). What the object has comes from the informers' caches; a value written a moment ago counts
 * as written until the cache shows the version the patch made (or a while has passed), so a lagging cache does not
 * cause a second write. Logs through java.util.logging (Quarkus routes it to its log; the simulator has its own), so
 * the class runs without Quarkus.
 */
public final class AnnotationWriter implements AnnotationSink {

    private static final Logger LOG = Logger.getLogger(AnnotationWriter.class.getName());

    /** How long a written value stands in for the cache's older copy of the object. */
    static final Duration WRITTEN_STANDS_FOR = Duration.ofSeconds(60);

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Written(Map<String, String> values, String resourceVersion, long atNanos) {}

    private final KubernetesClient client;
    private final String nodeName;
    private final Store<Pod> pods;
    private final Store<Node> nodes;
    private final Map<String, Written> recent = new ConcurrentHashMap<>();

    /** Writes through {@code client}; reads what the objects have from these informer stores. */
    public AnnotationWriter(KubernetesClient client, String nodeName, Store<Pod> pods, Store<Node> nodes) {
        this.client = client;
        this.nodeName = nodeName;
        this.pods = pods;
        this.nodes = nodes;
    }

    /** Writes what differs; returns the number of API writes made. */
    @Override
    public int apply(DesiredAnnotations desired) {
        int writes = 0;
        for (Map.Entry<PodKey, String> e : desired.pods().entrySet()) {
            PodKey key = e.getKey();
            Pod pod = pods.getByKey(key.namespace() + "/" + key.name());
            if (pod == null) {
                continue; // not in the cache yet: its add event brings another pass
            }
            Map<String, String> changes =
                    AnnotationChanges.of(current("pod/" + key, pod), Map.of(NodeAgentReport.MIG_DEVICE, e.getValue()));
            if (!changes.isEmpty()) {
                writes += patch(
                        "pod/" + key,
                        changes,
                        () -> client.pods()
                                .inNamespace(key.namespace())
                                .withName(key.name())
                                .patch(PatchContext.of(PatchType.JSON_MERGE), body(changes)));
            }
        }
        Node node = nodes.getByKey(nodeName);
        if (node != null) {
            Map<String, String> changes = AnnotationChanges.of(current("node/" + nodeName, node), desired.node());
            if (!changes.isEmpty()) {
                writes += patch(
                        "node/" + nodeName,
                        changes,
                        () -> client.nodes()
                                .withName(nodeName)
                                .patch(PatchContext.of(PatchType.JSON_MERGE), body(changes)));
            }
        }
        return writes;
    }

    /** The object's annotations, with what this agent wrote since the cached copy was taken laid over them. */
    private Map<String, String> current(String key, HasMetadata object) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        Written written = recent.get(key);
        if (written == null) {
            return annotations;
        }
        boolean cacheCaughtUp = written.resourceVersion() != null
                && written.resourceVersion().equals(object.getMetadata().getResourceVersion());
        boolean stale = System.nanoTime() - written.atNanos() > WRITTEN_STANDS_FOR.toNanos();
        if (cacheCaughtUp || stale) {
            recent.remove(key);
            return annotations;
        }
        Map<String, String> merged = annotations == null ? new HashMap<>() : new HashMap<>(annotations);
        merged.putAll(written.values());
        return merged;
    }

    private interface Patch {
        HasMetadata run();
    }

    private int patch(String key, Map<String, String> changes, Patch patch) {
        try {
            HasMetadata result = patch.run();
            Written before = recent.get(key);
            Map<String, String> values = before == null ? new HashMap<>() : new HashMap<>(before.values());
            values.putAll(changes);
            recent.put(key, new Written(values, result.getMetadata().getResourceVersion(), System.nanoTime()));
            LOG.info(() -> key + " on " + nodeName + ": wrote " + changes.keySet());
            return 1;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                LOG.fine(() -> key + " is gone: nothing to write");
                return 0;
            }
            LOG.warning(() -> key + " on " + nodeName + ": cannot write " + changes.keySet() + " (HTTP " + e.getCode()
                    + ": " + e.getMessage() + "); check the agent's RBAC (patch pods and nodes)");
            return 0;
        }
    }

    private static String body(Map<String, String> annotations) {
        try {
            return JSON.writeValueAsString(Map.of("metadata", Map.of("annotations", annotations)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
