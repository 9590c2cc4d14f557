package dev.quartet.it;

import static dev.quartet.it.Kubectl.kubectl;
import static dev.quartet.it.Kubectl.kubectlStdin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.crd.SpecCorpus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The admission webhook against the real API server, as a user meets it: {@code kubectl apply} of every invalid spec
 * of the corpus fails with its message (the CRD's rules, or the webhook for what only SpecValidator finds); a valid
 * spec the cluster cannot satisfy is applied with warnings that name why and what would fit, and the status says the
 * same; with the operator killed, apply works at once and the status says later what the webhook would have. The
 * webhook configuration comes from the Helm chart (failurePolicy Ignore), pointed at the operator's loopback port.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdmissionIT {

    private static OperatorTestBed bed;

    @BeforeAll
    static void startBed() {
        // One A30 at 4x1g.6gb: four slices.
        bed = new OperatorTestBed(
                "admission", o -> o.withNodes(1).withGpusPerNode(1).withLayout("4x1g.6gb"), Map.of());
        awaitWebhook(bed);
    }

    @AfterAll
    static void closeBed() {
        if (bed != null) {
            bed.close();
        }
    }

    /** Until the webhook answers: a spec only it refuses is refused. */
    static void awaitWebhook(OperatorTestBed bed) {
        Path probe = Path.of("src/test/resources/invalid-specs/uri-http-host-underscore.yaml");
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(kubectl(
                                        bed.cluster,
                                        "apply",
                                        "--dry-run=server",
                                        "-n",
                                        bed.namespace,
                                        "-f",
                                        probe.toString())
                                .err())
                        .contains("denied the request"));
    }

    static String yaml(String name, int replicas, String extra) {
        return """
                apiVersion: inference.quartet.dev/v1alpha1
                kind: InferenceDeployment
                metadata:
                  name: %s
                spec:
                  model: {uri: 'file:///models/tiny-resnet.onnx', format: onnx}
                  slice: {profile: 1g.6gb}
                  replicas: %d
                %s""".formatted(name, replicas, extra);
    }

    private static Kubectl.Run apply(String yaml, String... flags) {
        List<String> args = new ArrayList<>(List.of("apply", "-n", bed.namespace, "-f", "-"));
        args.addAll(List.of(flags));
        return kubectlStdin(bed.cluster, yaml, args.toArray(String[]::new));
    }

    private static String degradedMessage(String name) {
        return bed.condition(name, "Degraded").map(Condition::getMessage).orElse("");
    }

    @Test
    @Order(1)
    void everyInvalidSpecOfTheCorpusIsRefusedAtApplyByTheRulesOrTheWebhookWithItsMessage() {
        SoftAssertions soft = new SoftAssertions();
        List<SpecCorpus.InvalidSpec> specs = SpecCorpus.invalidSpecs().toList();
        assertThat(specs).hasSizeGreaterThanOrEqualTo(40);
        assertThat(specs).anyMatch(s -> !s.webhook().isEmpty());
        for (SpecCorpus.InvalidSpec spec : specs) {
            Kubectl.Run run = kubectl(
                    bed.cluster, "apply", "-n", bed.namespace, "-f", spec.file().toString());
            soft.assertThat(run.exit()).as("kubectl apply -f %s: %s", spec, run).isNotZero();
            for (SpecCorpus.Expectation e : spec.server()) {
                soft.assertThat(run.err().lines())
                        .as("kubectl apply -f %s", spec)
                        .anySatisfy(
                                l -> assertThat(l).contains(e.field() + ": ").contains(e.text()));
            }
            for (SpecCorpus.Expectation e : spec.webhook()) {
                soft.assertThat(run.err())
                        .as("kubectl apply -f %s", spec)
                        .contains("admission webhook \"validate.inference.quartet.dev\" denied the request")
                        .contains(e.field() + ": " + e.text());
            }
        }
        soft.assertAll();
        assertThat(bed.deployments().inNamespace(bed.namespace).list().getItems())
                .as("nothing invalid was stored")
                .isEmpty();
    }

    @Test
    @Order(2)
    void aSpecTheClusterCannotSatisfyNowIsAppliedWithWarningsThatTheStatusRepeats() {
        Kubectl.Run run = apply(yaml("web", 6, ""));

        assertThat(run.exit()).as("%s", run).isZero();
        List<String> warnings = run.warnings();
        String prefix = bed.namespace + "/web: ";
        assertThat(warnings)
                .as("%s", run)
                .first()
                .isEqualTo(
                        prefix + "2 of 6 replicas have no MIG slice: every GPU that could hold this profile is full");
        assertThat(warnings)
                .allSatisfy(w -> assertThat(w).startsWith(prefix))
                .anySatisfy(w -> assertThat(w).startsWith(prefix + "would fit: add a node like "));
        String expected = String.join(
                "; ", warnings.stream().map(w -> w.substring(prefix.length())).toList());
        await().atMost(Duration.ofSeconds(90))
                .untilAsserted(() -> assertThat(degradedMessage("web")).isEqualTo(expected));

        Kubectl.Run fits = apply(yaml("web", 4, ""));
        assertThat(fits.exit()).as("%s", fits).isZero();
        assertThat(fits.warnings()).as("4 replicas fit: %s", fits).isEmpty();
        bed.awaitReady("web", 4, Duration.ofSeconds(120));
    }

    @Test
    @Order(3)
    void withTheOperatorKilledApplyWorksAtOnceAndTheStatusLaterSaysWhatTheWebhookWould() {
        Kubectl.Run dryRun = apply(yaml("batch", 2, ""), "--dry-run=server");
        assertThat(dryRun.exit()).as("%s", dryRun).isZero();
        String prefix = bed.namespace + "/batch: ";
        List<String> said = dryRun.warnings().stream()
                .map(w -> w.substring(prefix.length()))
                .toList();
        assertThat(said)
                .as("%s", dryRun)
                .isNotEmpty()
                .first()
                .asString()
                .startsWith("2 of 2 replicas have no MIG slice");

        bed.operator.kill();

        Kubectl.Run batch = apply(yaml("batch", 2, ""));
        assertThat(batch.exit()).as("%s", batch).isZero();
        assertThat(batch.warnings()).isEmpty();
        assertThat(batch.millis()).as("apply with no webhook answering").isLessThan(5_000);
        Kubectl.Run invalid = kubectl(
                bed.cluster,
                "apply",
                "-n",
                bed.namespace,
                "-f",
                "src/test/resources/invalid-specs/uri-http-host-underscore.yaml");
        assertThat(invalid.exit()).as("failurePolicy Ignore: %s", invalid).isZero();
        Kubectl.Run changed = apply(yaml("web", 4, "  maxUnavailable: 2\n"));
        assertThat(changed.exit()).as("%s", changed).isZero();
        assertThat(columns("web"))
                .as("created, scaled to 4, then changed with the operator down")
                .containsEntry("GENERATION", "3")
                .containsEntry("OBSERVED", "2");

        bed.operator.restart();

        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
            assertThat(degradedMessage("batch")).isEqualTo(String.join("; ", said));
            assertThat(bed.conditionIs("uri-http-host-underscore", "Degraded", "True", "InvalidSpec"))
                    .isTrue();
            assertThat(degradedMessage("uri-http-host-underscore"))
                    .contains("spec.model.uri: 'http://my_models/m.onnx' has no host");
            assertThat(columns("web")).containsEntry("GENERATION", "3").containsEntry("OBSERVED", "3");
        });
        assertThat(bed.condition("batch", "Degraded").orElseThrow().getObservedGeneration())
                .isEqualTo(1L);
        assertThat(bed.pods("uri-http-host-underscore"))
                .as("nothing is done for an invalid spec")
                .isEmpty();
        assertThat(bed.client
                        .services()
                        .inNamespace(bed.namespace)
                        .withName("uri-http-host-underscore")
                        .get())
                .isNull();
        bed.assertNoNonMovableReplicaDeleted();
    }

    /** The columns of {@code kubectl get infd NAME}, by header. */
    private static Map<String, String> columns(String name) {
        Kubectl.Run get = kubectl(bed.cluster, "get", "infd", name, "-n", bed.namespace);
        assertThat(get.exit()).as("%s", get).isZero();
        List<String> lines = get.out().lines().toList();
        String[] header = lines.get(0).trim().split("\\s+");
        String[] row = lines.get(1).trim().split("\\s+");
        Map<String, String> columns = new LinkedHashMap<>();
        for (int i = 0; i < header.length && i < row.length; i++) {
            columns.put(header[i], row[i]);
        }
        return columns;
    }

    /**
     * With short validities the operator renews its serving certificate and replaces its CA while the API server
     * keeps calling it: every call in between gets the webhook's answer (a call that failed TLS would be let through
     * without warnings, failurePolicy Ignore), and the server serves the renewed certificate.
     */
    @Test
    @Order(4)
    void theWebhookCertificateAndItsCaAreRotatedWhileTheApiServerKeepsCallingIt() throws Exception {
        try (OperatorTestBed rotating = new OperatorTestBed(
                "rotation",
                o -> o.withNodes(1).withGpusPerNode(1).withLayout("4x1g.6gb"),
                Map.of(
                        "QUARTET_WEBHOOK_CA_VALIDITY", "40s",
                        "QUARTET_WEBHOOK_CERTIFICATE_VALIDITY", "40s",
                        "QUARTET_WEBHOOK_CA_PUBLISH_DELAY", "5s",
                        "QUARTET_WEBHOOK_CHECK_INTERVAL", "2s"))) {
            awaitWebhook(rotating);
            String secretName = rotating.chart.serviceAccountName() + "-webhook-tls";
            X509Certificate firstCa = cas(rotating, secretName).get(0);
            int port = Integer.parseInt(rotating.chart.operatorEnvironment().get("QUARTET_WEBHOOK_PORT"));
            long deadline = System.nanoTime() + Duration.ofSeconds(100).toNanos();
            int calls = 0;
            while (true) {
                Kubectl.Run probe = kubectlStdin(
                        rotating.cluster,
                        yaml("big", 6, ""),
                        "apply",
                        "--dry-run=server",
                        "-n",
                        rotating.namespace,
                        "-f",
                        "-");
                calls++;
                assertThat(probe.warnings())
                        .as("call %d answered by the webhook: %s", calls, probe)
                        .isNotEmpty();
                List<X509Certificate> cas = cas(rotating, secretName);
                X509Certificate served = served(port);
                if (!cas.get(0).equals(firstCa) && !cas.contains(firstCa) && signedBy(served, cas.get(0))) {
                    break;
                }
                assertThat(System.nanoTime())
                        .as("the CA was not replaced in 100 s; CAs %s", cas.size())
                        .isLessThan(deadline);
                Thread.sleep(2_000);
            }
            String bundle = Base64.getEncoder()
                    .encodeToString(secret(rotating, secretName).get("ca.crt").getBytes(StandardCharsets.UTF_8));
            assertThat(rotating.client
                            .admissionRegistration()
                            .v1()
                            .validatingWebhookConfigurations()
                            .withName(rotating.chart.serviceAccountName())
                            .get()
                            .getWebhooks()
                            .get(0)
                            .getClientConfig()
                            .getCaBundle())
                    .isEqualTo(bundle);
            assertThat(calls).isGreaterThan(5);
        }
    }

    private static Map<String, String> secret(OperatorTestBed bed, String name) {
        Secret s =
                bed.client.secrets().inNamespace(bed.namespace).withName(name).get();
        Map<String, String> out = new LinkedHashMap<>();
        s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        return out;
    }

    private static List<X509Certificate> cas(OperatorTestBed bed, String secret) throws Exception {
        String pem = secret(bed, secret).get("ca.crt");
        return java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificates(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                .stream()
                .map(c -> (X509Certificate) c)
                .toList();
    }

    private static boolean signedBy(X509Certificate c, X509Certificate ca) {
        try {
            c.verify(ca.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The certificate the webhook port serves now, read with a TLS handshake that trusts anything. */
    private static X509Certificate served(int port) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(
                null,
                new TrustManager[] {
                    new X509TrustManager() {
                        public void checkClientTrusted(X509Certificate[] chain, String auth) {}

                        public void checkServerTrusted(X509Certificate[] chain, String auth) {}

                        public X509Certificate[] getAcceptedIssuers() {
                            return new X509Certificate[0];
                        }
                    }
                },
                null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }
}
