package dev.quartet.admission;

import dev.quartet.config.QuartetConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the webhook's TLS Secret valid and the webhook configuration's caBundle current, and says which serving
 * certificate to serve. Every operator replica runs it (each serves the webhook, leader or not); they agree through
 * the Secret's resourceVersion: a replica whose write conflicts reads the winner's on its next check. With
 * {@code quartet.webhook.manage-certificate=false} it only reads the Secret (cert-manager writes it, and its CA
 * injector the caBundle).
 */
@ApplicationScoped
public class WebhookCertificateKeeper {

    /** The serving certificate chain and key, PEM. */
    public record Serving(String certificateChain, String key) {}

    @Inject
    KubernetesClient client;

    @Inject
    QuartetConfig config;

    private String lastCaBundleWarning;

    /** One check: the Secret renewed if due, the caBundle patched if it differs; the material to serve, if any. */
    public Optional<Serving> check(Instant now) {
        QuartetConfig.Webhook webhook = config.webhook();
        String namespace = namespace();
        Secret secret = client.secrets()
                .inNamespace(namespace)
                .withName(webhook.secretName())
                .get();
        Map<String, String> data = secret == null ? Map.of() : decode(secret.getData());
        if (webhook.manageCertificate()) {
            Optional<Map<String, String>> next = WebhookTls.next(data, settings(), now);
            if (next.isPresent()) {
                data = next.get();
                write(namespace, secret, data);
                Log.infof(
                        "webhook: wrote Secret %s/%s: %s", namespace, webhook.secretName(), WebhookTls.describe(data));
            }
            keepCaBundle(data.get(WebhookTls.CA_CRT));
        }
        String chain = data.get(WebhookTls.TLS_CRT);
        String key = data.get(WebhookTls.TLS_KEY);
        if (chain == null || key == null || chain.isBlank() || key.isBlank()) {
            Log.warnf(
                    "webhook: Secret %s/%s has no tls.crt and tls.key yet; the webhook is not served until it has",
                    namespace, webhook.secretName());
            return Optional.empty();
        }
        return Optional.of(new Serving(chain, key));
    }

    String namespace() {
        return config.webhook().namespace().orElse(System.getenv().getOrDefault("POD_NAMESPACE", "default"));
    }

    private WebhookTls.Settings settings() {
        QuartetConfig.Webhook webhook = config.webhook();
        return new WebhookTls.Settings(
                webhook.hosts(), webhook.caValidity(), webhook.certificateValidity(), webhook.caPublishDelay());
    }

    private void write(String namespace, Secret secret, Map<String, String> data) {
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        if (secret == null) {
            // The chart creates the Secret (so the operator needs no create permission); without the chart, try.
            client.secrets()
                    .inNamespace(namespace)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(config.webhook().secretName())
                            .withNamespace(namespace)
                            .endMetadata()
                            .withType("Opaque")
                            .withData(encoded)
                            .build())
                    .create();
            return;
        }
        secret.setData(encoded);
        // An update with the resourceVersion read: another replica's write in between makes this one fail (409).
        client.secrets().inNamespace(namespace).resource(secret).update();
    }

    /** Sets the caBundle of every webhook of the configuration to the CAs in the Secret, when it differs. */
    private void keepCaBundle(String caPem) {
        String name = config.webhook().configurationName();
        String bundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
        try {
            ValidatingWebhookConfiguration current = client.admissionRegistration()
                    .v1()
                    .validatingWebhookConfigurations()
                    .withName(name)
                    .get();
            if (current == null) {
                warnOnce(
                        "webhook: ValidatingWebhookConfiguration " + name + " does not exist; the API server does not"
                                + " call this operator's webhook (install it with the chart, or set quartet.webhook.enabled=false)");
                return;
            }
            boolean stale = current.getWebhooks().stream()
                    .anyMatch(w -> w.getClientConfig() == null
                            || !Objects.equals(bundle, w.getClientConfig().getCaBundle()));
            if (!stale) {
                return;
            }
            client.admissionRegistration()
                    .v1()
                    .validatingWebhookConfigurations()
                    .withName(name)
                    .edit(c -> {
                        for (ValidatingWebhook w : c.getWebhooks()) {
                            if (w.getClientConfig() != null) {
                                w.getClientConfig().setCaBundle(bundle);
                            }
                        }
                        return c;
                    });
            Log.infof("webhook: caBundle of ValidatingWebhookConfiguration %s updated", name);
        } catch (KubernetesClientException e) {
            warnOnce("webhook: cannot keep the caBundle of ValidatingWebhookConfiguration " + name + " current: "
                    + e.getMessage());
        }
    }

    private void warnOnce(String message) {
        if (!message.equals(lastCaBundleWarning)) {
            Log.warn(message);
            lastCaBundleWarning = message;
        }
    }

    private static Map<String, String> decode(Map<String, String> data) {
        Map<String, String> out = new LinkedHashMap<>();
        if (data != null) {
            data.forEach((k, v) -> {
                try {
                    out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    // not base64: left out, so the material is made again
                }
            });
        }
        return out;
    }
}
