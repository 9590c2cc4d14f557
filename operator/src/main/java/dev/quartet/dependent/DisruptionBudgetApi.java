package dev.quartet.dependent;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Which PodDisruptionBudget API the server serves: {@code policy/v1} (1.21+) or only {@code policy/v1beta1}. */
final class DisruptionBudgetApi {

    private static final ConcurrentMap<String, Boolean> V1_BY_SERVER = new ConcurrentHashMap<>();

    private DisruptionBudgetApi() {}

    static boolean servesV1(KubernetesClient client) {
        return V1_BY_SERVER.computeIfAbsent(
                client.getMasterUrl().toString(),
                url -> client.supports(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class));
    }
}
