package dev.quartet.admission;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The webhook's TLS material as the Secret holds it ({@code ca.crt}: every CA the API server must trust, newest
 * first; {@code ca.key}: their keys in the same order; {@code tls.crt}, {@code tls.key}: the serving certificate),
 * and the rules that keep it valid. Pure: {@link #next} says what the Secret must hold at a given time.
 *
 * <p>Rotation without a moment of distrust: a CA with a third of its validity left gets a successor, added to the
 * front of {@code ca.crt} (so to the webhook configuration's caBundle) while the old one stays until it expires. The
 * serving certificate is signed by the newest CA that has been in the bundle for {@code caPublishDelay}, so the API
 * server trusts a certificate before any replica serves it. It is issued again when a third of its validity is left,
 * when that signer changes, or when the host names change.
 */
final class WebhookTls {

    static final String CA_CRT = "ca.crt";
    static final String CA_KEY = "ca.key";
    static final String TLS_CRT = "tls.crt";
    static final String TLS_KEY = "tls.key";

    /** Certificates start this long before they are made, for clocks a little behind ours. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    /** The validity periods and host names the certificates are made with. */
    record Settings(List<String> hosts, Duration caValidity, Duration certificateValidity, Duration caPublishDelay) {}

    private WebhookTls() {}

    /**
     * What the Secret's data must be at {@code now}, or empty when {@code data} is fine as it is. Unreadable or
     * inconsistent data is replaced by a new CA and certificate.
     */
    static Optional<Map<String, String>> next(Map<String, String> data, Settings settings, Instant now) {
        Map<String, String> current = data == null ? Map.of() : data;
        List<X509Certificate> cas = new ArrayList<>(Certificates.certificates(current.get(CA_CRT)));
        List<PrivateKey> keys = new ArrayList<>(Certificates.keys(current.get(CA_KEY)));
        boolean changed = false;
        if (cas.isEmpty() || cas.size() != keys.size()) {
            cas.clear();
            keys.clear();
            changed = true;
        }
        for (int i = cas.size() - 1; i >= 0; i--) {
            if (!cas.get(i).getNotAfter().toInstant().isAfter(now)) {
                cas.remove(i);
                keys.remove(i);
                changed = true;
            }
        }
        if (cas.isEmpty()
                || remaining(cas.get(0), now).compareTo(settings.caValidity().dividedBy(3)) < 0) {
            Certificates.Pair ca = Certificates.newCa(
                    "quartet-webhook-ca-" + now.getEpochSecond(),
                    now.minus(CLOCK_SKEW),
                    now.plus(settings.caValidity()));
            cas.add(0, ca.certificate());
            keys.add(0, ca.key());
            changed = true;
        }
        int signer = signer(cas, settings, now);
        Certificates.Pair ca = new Certificates.Pair(cas.get(signer), keys.get(signer));
        String tlsCrt = current.get(TLS_CRT);
        String tlsKey = current.get(TLS_KEY);
        List<X509Certificate> serving = Certificates.certificates(tlsCrt);
        // A serving certificate never outlives its CA: near the CA's end, renewing from it gains nothing.
        Instant notAfter = now.plus(settings.certificateValidity());
        if (notAfter.isAfter(ca.certificate().getNotAfter().toInstant())) {
            notAfter = ca.certificate().getNotAfter().toInstant();
        }
        boolean usable = !serving.isEmpty()
                && !Certificates.keys(tlsKey).isEmpty()
                && Certificates.signedBy(serving.get(0), ca.certificate())
                && new HashSet<>(Certificates.hosts(serving.get(0))).equals(new HashSet<>(settings.hosts()));
        boolean expiring = usable
                && remaining(serving.get(0), now)
                                .compareTo(settings.certificateValidity().dividedBy(3))
                        < 0
                && notAfter.isAfter(serving.get(0).getNotAfter().toInstant().plusSeconds(1));
        if (!usable || expiring) {
            Certificates.Pair leaf = Certificates.issue(ca, settings.hosts(), now.minus(CLOCK_SKEW), notAfter);
            tlsCrt = Certificates.pem(List.of(leaf.certificate(), ca.certificate()));
            tlsKey = Certificates.pemKeys(List.of(leaf.key()));
            changed = true;
        }
        if (!changed) {
            return Optional.empty();
        }
        Map<String, String> next = new LinkedHashMap<>();
        next.put(CA_CRT, Certificates.pem(cas));
        next.put(CA_KEY, Certificates.pemKeys(keys));
        next.put(TLS_CRT, tlsCrt);
        next.put(TLS_KEY, tlsKey);
        return Optional.of(next);
    }

    /** The Secret's material in words, for the log: each CA and the serving certificate, with their ends. */
    static String describe(Map<String, String> data) {
        List<String> cas = Certificates.certificates(data.get(CA_CRT)).stream()
                .map(c -> c.getSubjectX500Principal().getName() + " until "
                        + c.getNotAfter().toInstant())
                .toList();
        List<X509Certificate> serving = Certificates.certificates(data.get(TLS_CRT));
        String leaf = serving.isEmpty()
                ? "no serving certificate"
                : "serving certificate for " + Certificates.hosts(serving.get(0)) + " until "
                        + serving.get(0).getNotAfter().toInstant() + ", signed by "
                        + serving.get(0).getIssuerX500Principal().getName();
        return "CAs " + cas + "; " + leaf;
    }

    /** The index of the CA that signs: the newest one published for {@code caPublishDelay}, else the oldest. */
    static int signer(List<X509Certificate> cas, Settings settings, Instant now) {
        for (int i = 0; i < cas.size(); i++) {
            Instant made = cas.get(i).getNotBefore().toInstant().plus(CLOCK_SKEW);
            if (!made.plus(settings.caPublishDelay()).isAfter(now)) {
                return i;
            }
        }
        return cas.size() - 1;
    }

    private static Duration remaining(X509Certificate c, Instant now) {
        return Duration.between(now, c.getNotAfter().toInstant());
    }
}
