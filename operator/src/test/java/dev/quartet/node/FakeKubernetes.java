package dev.quartet.node;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.Client;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * An in-memory API server for the calls {@link MigManagerBackend} makes: nodes (get, list, edit, patch), ConfigMaps
 * (get, create, update with a resourceVersion check) and pods (list by label in a namespace, evict). Objects go in
 * and out as copies, as over the wire; every write is logged in {@link #writes}. Any other call fails the test.
 */
final class FakeKubernetes {

    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    final Map<String, Node> nodes = new TreeMap<>();
    final Map<String, ConfigMap> configMaps = new TreeMap<>();
    /** Pods by {@code ns/name}; an eviction marks the pod terminating, as a graceful deletion does. */
    final Map<String, Pod> pods = new TreeMap<>();
    /** When set, every node patch fails with this status code (RBAC, an admission webhook). */
    Integer failNodePatches;
    /**
     * {@code patch node/<name>}, {@code create configmap/<ns>/<name>}, {@code update configmap/<ns>/<name>},
     * {@code evict pod/<ns>/<name>}.
     */
    final List<String> writes = new ArrayList<>();

    final KubernetesClient client;
    private long version;

    FakeKubernetes() {
        client = proxy(KubernetesClient.class, (m, args) -> switch (m.getName()) {
            case "nodes" -> operation("node", nodes, null);
            case "configMaps" -> operation("configmap", configMaps, null);
            case "pods" -> pods(null);
            // ReplicaEvictor takes a view of the client without retries: here the same fake
            case "getConfiguration" -> Config.empty();
            case "newClient" ->
                proxy(Client.class, (m2, args2) -> {
                    if (!m2.getName().equals("adapt")) {
                        throw unsupported(m2);
                    }
                    return FakeKubernetes.this.client;
                });
            default -> throw unsupported(m);
        });
    }

    /** Pods support listing by label in a namespace and eviction through {@code policy/v1}: always granted. */
    private Object pods(String namespace) {
        return proxy(MixedOperation.class, (m, args) -> switch (m.getName()) {
            case "inNamespace" -> pods((String) args[0]);
            case "withLabel" -> podList(namespace, Map.of((String) args[0], (String) args[1]));
            case "withName" ->
                proxy(PodResource.class, (m2, args2) -> {
                    if (!m2.getName().equals("evict") || args2 == null || args2.length != 1) {
                        throw unsupported(m2);
                    }
                    writes.add("evict pod/" + namespace + "/" + args[0]);
                    Pod pod = pods.get(namespace + "/" + args[0]);
                    if (pod != null) {
                        pod.getMetadata().setDeletionTimestamp("2024-05-01T12:00:00Z");
                    }
                    return true;
                });
            default -> throw unsupported(m);
        });
    }

    private Object podList(String namespace, Map<String, String> labels) {
        return proxy(FilterWatchListDeletable.class, (m, args) -> switch (m.getName()) {
            case "withLabel" -> {
                Map<String, String> more = new TreeMap<>(labels);
                more.put((String) args[0], (String) args[1]);
                yield podList(namespace, more);
            }
            case "list" -> {
                PodList list = new PodList();
                list.setItems(pods.values().stream()
                        .filter(p -> p.getMetadata().getNamespace().equals(namespace)
                                && p.getMetadata().getLabels() != null
                                && p.getMetadata().getLabels().entrySet().containsAll(labels.entrySet()))
                        .map(FakeKubernetes::copy)
                        .toList());
                yield list;
            }
            default -> throw unsupported(m);
        });
    }

    void put(Pod pod) {
        pods.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), copy(pod));
    }

    void put(HasMetadata o) {
        o.getMetadata().setResourceVersion(String.valueOf(++version));
        if (o instanceof Node n) {
            nodes.put(key(null, n), copy(n));
        } else {
            configMaps.put(key(o.getMetadata().getNamespace(), o), copy((ConfigMap) o));
        }
    }

    Node node(String name) {
        return copy(nodes.get(name));
    }

    List<Node> nodes() {
        return nodes.values().stream().map(FakeKubernetes::copy).toList();
    }

    private <T extends HasMetadata> Object operation(String kind, Map<String, T> store, String namespace) {
        return proxy(MixedOperation.class, (m, args) -> switch (m.getName()) {
            case "inNamespace" -> operation(kind, store, (String) args[0]);
            case "withName" -> resource(kind, store, namespace, (String) args[0], null);
            case "resource" ->
                resource(
                        kind,
                        store,
                        namespace,
                        ((HasMetadata) args[0]).getMetadata().getName(),
                        (HasMetadata) args[0]);
            case "list" -> {
                if (!kind.equals("node")) {
                    throw unsupported(m);
                }
                NodeList list = new NodeList();
                list.setItems(nodes());
                yield list;
            }
            default -> throw unsupported(m);
        });
    }

    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> Object resource(
            String kind, Map<String, T> store, String namespace, String name, HasMetadata item) {
        String key = namespace == null ? name : namespace + "/" + name;
        return proxy(Resource.class, (m, args) -> {
            T stored = store.get(key);
            switch (m.getName()) {
                case "get":
                    return stored == null ? null : copy(stored);
                case "edit":
                    if (stored == null) {
                        throw new KubernetesClientException("not found", 404, null);
                    }
                    if (!(args[0] instanceof UnaryOperator)) {
                        throw unsupported(m);
                    }
                    return write("edit", kind, key, store, ((UnaryOperator<T>) args[0]).apply(copy(stored)));
                case "patch":
                    if (stored == null) {
                        throw new KubernetesClientException("not found", 404, null);
                    }
                    if (failNodePatches != null && kind.equals("node")) {
                        throw new KubernetesClientException(new StatusBuilder()
                                .withCode(failNodePatches)
                                .withMessage("nodes \"" + name + "\" is forbidden: patch refused")
                                .build());
                    }
                    if (args.length != 2 || ((PatchContext) args[0]).getPatchType() != PatchType.JSON_MERGE) {
                        throw unsupported(m);
                    }
                    return write("patch", kind, key, store, mergePatch(stored, (String) args[1]));
                case "create":
                    if (stored != null) {
                        throw new KubernetesClientException("already exists", 409, null);
                    }
                    return write("create", kind, key, store, (T) copy(item));
                case "update":
                    if (stored == null
                            || !stored.getMetadata()
                                    .getResourceVersion()
                                    .equals(item.getMetadata().getResourceVersion())) {
                        throw new KubernetesClientException("conflict", 409, null);
                    }
                    return write("update", kind, key, store, (T) copy(item));
                default:
                    throw unsupported(m);
            }
        });
    }

    private <T extends HasMetadata> T write(String verb, String kind, String key, Map<String, T> store, T item) {
        item.getMetadata().setResourceVersion(String.valueOf(++version));
        store.put(key, copy(item));
        writes.add(verb + " " + kind + "/" + key);
        return copy(item);
    }

    private static String key(String namespace, HasMetadata o) {
        return namespace == null
                ? o.getMetadata().getName()
                : namespace + "/" + o.getMetadata().getName();
    }

    /** RFC 7386 on the object's JSON: objects merge, a null value removes the key. */
    @SuppressWarnings("unchecked")
    private static <T> T mergePatch(T target, String patch) {
        Map<String, Object> merged = merge(JSON.convertValue(target, Map.class), JSON.unmarshal(patch, Map.class));
        return (T) JSON.convertValue(merged, target.getClass());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> merge(Map<String, Object> target, Map<String, Object> patch) {
        Map<String, Object> out = new java.util.LinkedHashMap<>(target == null ? Map.of() : target);
        patch.forEach((k, v) -> {
            if (v == null) {
                out.remove(k);
            } else if (v instanceof Map<?, ?> m && out.get(k) instanceof Map<?, ?> current) {
                out.put(k, merge((Map<String, Object>) current, (Map<String, Object>) m));
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    private static <T> T copy(T o) {
        return JSON.clone(o);
    }

    private interface Call {
        Object handle(Method m, Object[] args) throws Exception;
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Call call) {
        InvocationHandler handler = (self, m, args) -> switch (m.getName()) {
            case "toString" -> "fake " + type.getSimpleName();
            case "hashCode" -> System.identityHashCode(self);
            case "equals" -> self == args[0];
            default -> call.handle(m, args);
        };
        return (T) Proxy.newProxyInstance(FakeKubernetes.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static UnsupportedOperationException unsupported(Method m) {
        return new UnsupportedOperationException("FakeKubernetes does not serve " + m);
    }
}
