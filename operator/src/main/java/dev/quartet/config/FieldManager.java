package dev.quartet.config;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Quartet's own field manager, so {@code managedFields} (and {@code kubectl get --show-managed-fields}) show which
 * fields Quartet set. Server-side applies (the Service, the PodDisruptionBudget, the status) name it explicitly
 * ({@code @ControllerConfiguration(fieldManager = ...)}); every other write (replica pods, node labels, the MIG
 * Manager ConfigMap, events, evictions) is recorded under it because the API server takes a write's default field
 * manager from the client's User-Agent up to the first '/'.
 */
@Singleton
public class FieldManager implements KubernetesConfigCustomizer {

    public static final String NAME = "quartet";

    @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
    String version;

    @Override
    public void customize(Config config) {
        config.setUserAgent(NAME + "/" + version);
    }
}
