package dev.quartet.testsupport;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Every version of one node as a watch delivers it (each write the simulator makes is one version), so a test can
 * assert the order of states that polling could miss, such as {@code success} written while the MIG resources are
 * still at 0.
 */
final class NodeHistory implements AutoCloseable {

    /** One version of the node: its labels, and its {@code nvidia.com/*} capacity and allocatable. */
    record Version(
            Map<String, String> labels,
            Map<String, Integer> capacity,
            Map<String, Integer> allocatable,
            boolean ready) {
        String state() {
            return labels.get("nvidia.com/mig.config.state");
        }

        String config() {
            return labels.get("nvidia.com/mig.config");
        }

        int allocatable(String resource) {
            return allocatable.getOrDefault(resource, 0);
        }

        int capacity(String resource) {
            return capacity.getOrDefault(resource, 0);
        }

        @Override
        public String toString() {
            return config() + "/" + state() + (ready ? "" : " NotReady") + " capacity " + capacity + " allocatable "
                    + allocatable + " deploy " + labels.get("nvidia.com/gpu.deploy.device-plugin");
        }
    }

    private final List<Version> versions = new CopyOnWriteArrayList<>();
    private final Watch watch;

    NodeHistory(KubernetesClient client, String node) {
        record(client.nodes().withName(node).get());
        watch = client.nodes().withName(node).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Node n) {
                if (action != Action.DELETED) {
                    record(n);
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
    }

    private void record(Node n) {
        versions.add(new Version(
                Map.copyOf(n.getMetadata().getLabels()),
                nvidia(n.getStatus().getCapacity()),
                nvidia(n.getStatus().getAllocatable()),
                n.getStatus().getConditions() != null
                        && n.getStatus().getConditions().stream()
                                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))));
    }

    private static Map<String, Integer> nvidia(Map<String, Quantity> quantities) {
        Map<String, Integer> result = new TreeMap<>();
        if (quantities != null) {
            quantities.forEach((k, v) -> {
                if (k.startsWith("nvidia.com/")) {
                    result.put(k, Quantity.getAmountInBytes(v).intValue());
                }
            });
        }
        return result;
    }

    List<Version> versions() {
        return List.copyOf(versions);
    }

    /** Whether some version so far matches. */
    boolean any(Predicate<Version> p) {
        return versions.stream().anyMatch(p);
    }

    /** The values the MIG Manager state label took, each change once, in order. */
    List<String> states() {
        List<String> states = new java.util.ArrayList<>();
        for (Version v : versions) {
            if (states.isEmpty() || !java.util.Objects.equals(states.get(states.size() - 1), v.state())) {
                states.add(v.state());
            }
        }
        return states;
    }

    /**
     * How the first run for {@code config} after a {@code pending} ended ({@code success} or {@code failed}), or null
     * while it has not.
     */
    String endAfterPending(String config) {
        boolean pending = false;
        for (Version v : versions) {
            if (!config.equals(v.config())) {
                continue;
            }
            if ("pending".equals(v.state())) {
                pending = true;
            } else if (pending && ("success".equals(v.state()) || "failed".equals(v.state()))) {
                return v.state();
            }
        }
        return null;
    }

    @Override
    public void close() {
        watch.close();
    }
}
