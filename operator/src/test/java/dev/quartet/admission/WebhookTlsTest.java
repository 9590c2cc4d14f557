package dev.quartet.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The webhook's CA and serving certificate over their lifetime: made, kept, renewed, rotated without distrust. */
class WebhookTlsTest {

    private static final Instant T0 = Instant.parse("2026-05-01T00:00:00Z");
    private static final WebhookTls.Settings SETTINGS = new WebhookTls.Settings(
            List.of("quartet-webhook.quartet-system.svc", "127.0.0.1"),
            Duration.ofDays(30),
            Duration.ofDays(9),
            Duration.ofMinutes(1));

    private static X509Certificate serving(Map<String, String> data) {
        return Certificates.certificates(data.get(WebhookTls.TLS_CRT)).get(0);
    }

    private static List<X509Certificate> cas(Map<String, String> data) {
        return Certificates.certificates(data.get(WebhookTls.CA_CRT));
    }

    /** Whether a client trusting the Secret's ca.crt accepts the serving certificate at {@code at}. */
    private static boolean trusted(Map<String, String> data, Instant at) {
        X509Certificate leaf = serving(data);
        return !leaf.getNotAfter().toInstant().isBefore(at)
                && cas(data).stream()
                        .anyMatch(ca -> Certificates.signedBy(leaf, ca)
                                && !ca.getNotAfter().toInstant().isBefore(at));
    }

    @Test
    void anEmptySecretGetsACaAndACertificateForTheHostsThatItSigns() {
        Map<String, String> data = WebhookTls.next(Map.of(), SETTINGS, T0).orElseThrow();

        assertThat(cas(data)).hasSize(1);
        assertThat(Certificates.keys(data.get(WebhookTls.CA_KEY))).hasSize(1);
        assertThat(Certificates.keys(data.get(WebhookTls.TLS_KEY))).hasSize(1);
        X509Certificate leaf = serving(data);
        assertThat(Certificates.signedBy(leaf, cas(data).get(0))).isTrue();
        assertThat(Certificates.hosts(leaf))
                .containsExactlyInAnyOrder("quartet-webhook.quartet-system.svc", "127.0.0.1");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(cas(data).get(0).getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(Certificates.certificates(data.get(WebhookTls.TLS_CRT)))
                .as("tls.crt holds the chain")
                .hasSize(2);
        assertThat(WebhookTls.next(data, SETTINGS, T0.plusSeconds(60)))
                .as("nothing to do")
                .isEmpty();
    }

    @Test
    void theServingCertificateIsRenewedWhenAThirdOfItIsLeftAndTheCaStays() {
        Map<String, String> data = WebhookTls.next(Map.of(), SETTINGS, T0).orElseThrow();

        assertThat(WebhookTls.next(data, SETTINGS, T0.plus(Duration.ofDays(5)))).isEmpty();
        Map<String, String> renewed = WebhookTls.next(
                        data, SETTINGS, T0.plus(Duration.ofDays(6)).plusSeconds(1))
                .orElseThrow();

        assertThat(renewed.get(WebhookTls.CA_CRT)).isEqualTo(data.get(WebhookTls.CA_CRT));
        assertThat(serving(renewed)).isNotEqualTo(serving(data));
        assertThat(trusted(renewed, T0.plus(Duration.ofDays(14)))).isTrue();
    }

    @Test
    void aNewCaIsTrustedBeforeItSignsAndTheOldOneStaysUntilItExpires() {
        Map<String, String> data = WebhookTls.next(Map.of(), SETTINGS, T0).orElseThrow();
        X509Certificate first = cas(data).get(0);
        Instant t = T0;
        Instant end = T0.plus(Duration.ofDays(70));
        boolean sawTwoCas = false;
        while (t.isBefore(end)) {
            Instant now = t;
            Map<String, String> before = data;
            Map<String, String> after = WebhookTls.next(data, SETTINGS, now).orElse(data);
            assertThat(trusted(after, now)).as("trusted at %s", now).isTrue();
            if (after != before && !serving(after).equals(serving(before))) {
                // A new serving certificate is signed by a CA the bundle held already: the API server trusts it.
                assertThat(cas(before))
                        .as("signer of the certificate renewed at %s", now)
                        .anyMatch(ca -> Certificates.signedBy(serving(after), ca));
            }
            data = after;
            sawTwoCas |= cas(data).size() == 2;
            t = t.plus(Duration.ofMinutes(30));
        }
        assertThat(sawTwoCas).isTrue();
        assertThat(cas(data)).doesNotContain(first);
        assertThat(Certificates.signedBy(serving(data), cas(data).get(0))).isTrue();
    }

    @Test
    void newHostsOrUnreadableDataGetANewCertificate() {
        Map<String, String> data = WebhookTls.next(Map.of(), SETTINGS, T0).orElseThrow();
        WebhookTls.Settings other = new WebhookTls.Settings(
                List.of("quartet-webhook.other.svc"),
                SETTINGS.caValidity(),
                SETTINGS.certificateValidity(),
                SETTINGS.caPublishDelay());

        Map<String, String> moved =
                WebhookTls.next(data, other, T0.plusSeconds(10)).orElseThrow();
        assertThat(Certificates.hosts(serving(moved))).containsExactly("quartet-webhook.other.svc");
        assertThat(moved.get(WebhookTls.CA_CRT)).isEqualTo(data.get(WebhookTls.CA_CRT));

        Map<String, String> broken = WebhookTls.next(
                        Map.of(WebhookTls.CA_CRT, "not a certificate", WebhookTls.TLS_CRT, "x"), SETTINGS, T0)
                .orElseThrow();
        assertThat(cas(broken)).hasSize(1);
        assertThat(Certificates.signedBy(serving(broken), cas(broken).get(0))).isTrue();
    }
}
