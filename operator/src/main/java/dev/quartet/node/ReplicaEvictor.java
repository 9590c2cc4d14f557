package dev.quartet.node;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Evicts replica pods through the Eviction API (policy/v1, or policy/v1beta1 on servers older than 1.22), so
 * PodDisruptionBudgets decide; a refusal is reported, never forced.
 */
final class ReplicaEvictor {

    /** The outcome of one eviction request. */
    record Outcome(boolean evicted, String refusal) {}

    private final KubernetesClient client;
    private volatile Boolean v1;

    ReplicaEvictor(KubernetesClient client) {
        this.client = client;
    }

    Outcome evict(Pod pod) {
        var resource = client.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName());
        try {
            boolean done = servesV1()
                    ? resource.evict(new EvictionBuilder()
                            .withNewMetadata()
                            .withName(pod.getMetadata().getName())
                            .withNamespace(pod.getMetadata().getNamespace())
                            .endMetadata()
                            .withDeleteOptions(new DeleteOptions())
                            .build())
                    : resource.evict();
            return done
                    ? new Outcome(true, null)
                    : new Outcome(
                            false,
                            "a PodDisruptionBudget does not allow evicting "
                                    + pod.getMetadata().getName() + " now");
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return new Outcome(true, null);
            }
            if (e.getCode() == 500 && e.getMessage() != null && e.getMessage().contains("more than one")) {
                return new Outcome(
                        false,
                        "more than one PodDisruptionBudget selects "
                                + pod.getMetadata().getName() + "; the Eviction API refuses such pods");
            }
            throw e;
        }
    }

    private boolean servesV1() {
        if (v1 == null) {
            var version = client.getKubernetesVersion();
            String minor = version.getMinor().replaceAll("[^0-9]", "");
            v1 = Integer.parseInt(version.getMajor().replaceAll("[^0-9]", "")) > 1
                    || (!minor.isEmpty() && Integer.parseInt(minor) >= 22);
        }
        return v1;
    }
}
