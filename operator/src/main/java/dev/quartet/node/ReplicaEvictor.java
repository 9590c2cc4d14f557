package dev.quartet.node;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;

/** Evicts replica pods through the {@code policy/v1} Eviction API, so PodDisruptionBudgets decide; a refusal is reported, never forced. */
final class ReplicaEvictor {

    /** The outcome of one eviction request. */
    record Outcome(boolean evicted, String refusal) {}

    private final KubernetesClient client;

    /**
     * The client's requests are retried on 429 with exponential back-off (10 tries, about 100 s). The Eviction API
     * answers 429 when a budget refuses, which is an answer, not an overload: with retries one refused eviction
     * held the planning lock for over a minute. So evictions go through a view of the client that never retries.
     */
    ReplicaEvictor(KubernetesClient client) {
        RequestConfig noRetry = new RequestConfigBuilder(
                        client.getConfiguration().getRequestConfig())
                .withRequestRetryBackoffLimit(0)
                .build();
        this.client = client.newClient(noRetry).adapt(KubernetesClient.class);
    }

    Outcome evict(Pod pod) {
        var resource = client.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName());
        try {
            boolean done = resource.evict(new EvictionBuilder()
                    .withNewMetadata()
                    .withName(pod.getMetadata().getName())
                    .withNamespace(pod.getMetadata().getNamespace())
                    .endMetadata()
                    .withDeleteOptions(new DeleteOptions())
                    .build());
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
}
