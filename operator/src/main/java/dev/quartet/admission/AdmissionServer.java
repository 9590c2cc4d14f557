package dev.quartet.admission;

import dev.quartet.config.QuartetConfig;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.reconciler.ClusterPlanning;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Serves the validating admission webhook ({@code POST /validate}, AdmissionReview v1) over HTTPS on its own port,
 * with the certificate {@link WebhookCertificateKeeper} keeps in a Secret. A Vert.x server on Quarkus' Vert.x rather
 * than Quarkus' HTTP port: that port stays plain HTTP for the probes and metrics, and this one takes each renewed
 * certificate in place ({@link HttpServer#updateSSLOptions}) without a restart.
 */
@ApplicationScoped
public class AdmissionServer {

    /** Largest AdmissionReview accepted: an InferenceDeployment and its old version are a few kB. */
    private static final int BODY_LIMIT = 3 * 1024 * 1024;

    /** How soon a failed check is tried again (an API error, RBAC, a conflicting write of another replica). */
    private static final Duration RETRY = Duration.ofSeconds(5);

    @Inject
    Vertx vertx;

    @Inject
    QuartetConfig config;

    @Inject
    WebhookCertificateKeeper keeper;

    @Inject
    ClusterPlanning planning;

    @Inject
    KubernetesClient client;

    private ScheduledExecutorService checks;
    private volatile HttpServer server;
    private volatile WebhookCertificateKeeper.Serving serving;
    private DeploymentAdmission admission;

    void start(@Observes StartupEvent event) {
        if (!config.webhook().enabled()) {
            Log.info("webhook: disabled (quartet.webhook.enabled=false)");
            return;
        }
        admission = new DeploymentAdmission(d -> planning.whatIf(List.of(d), List.of()), planning::fitsInLastPlan);
        checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quartet-webhook-certificates");
            t.setDaemon(true);
            return t;
        });
        checks.execute(this::check);
    }

    void stop(@Observes ShutdownEvent event) {
        if (checks != null) {
            checks.shutdownNow();
        }
        HttpServer s = server;
        if (s != null) {
            s.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS);
        }
    }

    /** The port the webhook listens on, or empty until it serves. */
    public Optional<Integer> port() {
        HttpServer s = server;
        return s == null ? Optional.empty() : Optional.of(s.actualPort());
    }

    private void check() {
        Duration next = config.webhook().checkInterval();
        try {
            keeper.check(Instant.now()).ifPresent(this::serve);
        } catch (RuntimeException e) {
            Log.warnf("webhook: certificate check failed, retrying in %s: %s", RETRY, e.getMessage());
            next = RETRY.compareTo(next) < 0 ? RETRY : next;
        }
        if (!checks.isShutdown()) {
            checks.schedule(this::check, next.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void serve(WebhookCertificateKeeper.Serving material) {
        if (material.equals(serving)) {
            return;
        }
        PemKeyCertOptions pem = new PemKeyCertOptions()
                .addCertValue(Buffer.buffer(material.certificateChain()))
                .addKeyValue(Buffer.buffer(material.key()));
        try {
            if (server == null) {
                Router router = Router.router(vertx);
                router.post("/validate").handler(BodyHandler.create().setBodyLimit(BODY_LIMIT));
                router.post("/validate").blockingHandler(this::validate, false);
                HttpServer s = vertx.createHttpServer(new HttpServerOptions()
                                .setSsl(true)
                                .setKeyCertOptions(pem)
                                .setPort(config.webhook().port()))
                        .requestHandler(router);
                server = s.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                Log.infof("webhook: serving HTTPS on port %d (POST /validate)", server.actualPort());
            } else {
                server.updateSSLOptions(new SSLOptions().setKeyCertOptions(pem))
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(30, TimeUnit.SECONDS);
                Log.info("webhook: serving the renewed certificate");
            }
            serving = material;
        } catch (Exception e) {
            throw new IllegalStateException(
                    "cannot serve the webhook on port " + config.webhook().port() + ": " + e, e);
        }
    }

    private void validate(RoutingContext ctx) {
        KubernetesSerialization json = client.getKubernetesSerialization();
        AdmissionReview review;
        try {
            review = json.unmarshal(ctx.body().asString(), AdmissionReview.class);
        } catch (RuntimeException e) {
            ctx.response().setStatusCode(400).end("not an AdmissionReview: " + e.getMessage());
            return;
        }
        AdmissionRequest request = review.getRequest();
        AdmissionResponse response;
        try {
            InferenceDeployment object = json.convertValue(request.getObject(), InferenceDeployment.class);
            InferenceDeployment old = request.getOldObject() == null
                    ? null
                    : json.convertValue(request.getOldObject(), InferenceDeployment.class);
            if (object.getMetadata().getNamespace() == null) {
                object.getMetadata().setNamespace(request.getNamespace());
            }
            DeploymentAdmission.Decision decision = admission.review(object, old);
            response = new AdmissionResponseBuilder()
                    .withUid(request.getUid())
                    .withAllowed(decision.allowed())
                    .withWarnings(decision.warnings().isEmpty() ? null : decision.warnings())
                    .withStatus(
                            decision.allowed()
                                    ? null
                                    : new StatusBuilder()
                                            .withCode(422)
                                            .withReason("Invalid")
                                            .withMessage(decision.message())
                                            .build())
                    .build();
            Log.debugf(
                    "webhook: %s %s/%s: %s",
                    request.getOperation(),
                    request.getNamespace(),
                    request.getName(),
                    decision.allowed() ? "allowed, warnings " + decision.warnings() : "denied: " + decision.message());
        } catch (RuntimeException e) {
            Log.errorf(
                    e,
                    "webhook: %s of %s/%s failed",
                    request.getOperation(),
                    request.getNamespace(),
                    request.getName());
            response = new AdmissionResponseBuilder()
                    .withUid(request.getUid())
                    .withAllowed(true)
                    .withWarnings("Quartet's admission webhook failed (" + e + "); the operator still validates")
                    .build();
        }
        AdmissionReview answer = new AdmissionReview();
        answer.setApiVersion(review.getApiVersion() == null ? "admission.k8s.io/v1" : review.getApiVersion());
        answer.setKind("AdmissionReview");
        answer.setResponse(response);
        ctx.response().putHeader("Content-Type", "application/json").end(json.asJson(answer));
    }
}
