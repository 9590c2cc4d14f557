package dev.quartet.admission;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The webhook's certificates: an ECDSA P-256 CA, serving certificates it signs for the webhook's host names, and
 * their PEM form. Certificates are built with BouncyCastle; keys, PEM and parsing use the JDK.
 */
final class Certificates {

    /** A certificate with its private key. */
    record Pair(X509Certificate certificate, PrivateKey key) {}

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern PEM_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----");

    private Certificates() {}

    /** A CA certificate valid from {@code notBefore} to {@code notAfter}. */
    static Pair newCa(String commonName, Instant notBefore, Instant notAfter) {
        KeyPair keys = keyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X500Name subject = new X500Name("CN=" + commonName);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            subject, serial(), Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new Pair(sign(builder, keys.getPrivate()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create the webhook's CA", e);
        }
    }

    /** A serving certificate for {@code hosts} (DNS names or IP addresses) signed by {@code ca}. */
    static Pair issue(Pair ca, List<String> hosts, Instant notBefore, Instant notAfter) {
        KeyPair keys = keyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            GeneralName[] names = hosts.stream().map(Certificates::generalName).toArray(GeneralName[]::new);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            ca.certificate(),
                            serial(),
                            Date.from(notBefore),
                            Date.from(notAfter),
                            new X500Name("CN=" + hosts.get(0)),
                            keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(
                            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(
                            Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new Pair(sign(builder, ca.key()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue the webhook's serving certificate", e);
        }
    }

    /** Whether {@code certificate} was signed by {@code ca}. */
    static boolean signedBy(X509Certificate certificate, X509Certificate ca) {
        try {
            certificate.verify(ca.getPublicKey());
            return certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The DNS names and IP addresses a serving certificate is for. */
    static List<String> hosts(X509Certificate certificate) {
        List<String> hosts = new ArrayList<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                certificate.getSubjectAlternativeNames().forEach(n -> hosts.add(String.valueOf(n.get(1))));
            }
        } catch (GeneralSecurityException e) {
            return List.of();
        }
        return hosts;
    }

    static String pem(List<X509Certificate> certificates) {
        StringBuilder out = new StringBuilder();
        for (X509Certificate c : certificates) {
            try {
                out.append(pemBlock("CERTIFICATE", c.getEncoded()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString();
    }

    static String pemKeys(List<PrivateKey> keys) {
        StringBuilder out = new StringBuilder();
        keys.forEach(k -> out.append(pemBlock("PRIVATE KEY", k.getEncoded())));
        return out.toString();
    }

    /** The certificates of a PEM text, in order; empty for null or unreadable text. */
    static List<X509Certificate> certificates(String pem) {
        if (pem == null || pem.isBlank()) {
            return List.of();
        }
        try {
            return CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                    .stream()
                    .map(c -> (X509Certificate) c)
                    .toList();
        } catch (GeneralSecurityException e) {
            return List.of();
        }
    }

    /** The PKCS#8 EC private keys of a PEM text, in order; empty for null or unreadable text. */
    static List<PrivateKey> keys(String pem) {
        if (pem == null) {
            return List.of();
        }
        List<PrivateKey> keys = new ArrayList<>();
        Matcher m = PEM_KEY.matcher(pem);
        try {
            KeyFactory factory = KeyFactory.getInstance("EC");
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(1).trim());
                keys.add(factory.generatePrivate(new PKCS8EncodedKeySpec(der)));
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return List.of();
        }
        return keys;
    }

    private static String pemBlock(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static GeneralName generalName(String host) {
        if (host.matches("^[0-9.]+$") || host.contains(":")) {
            try {
                return new GeneralName(
                        GeneralName.iPAddress, InetAddress.getByName(host).getHostAddress());
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + host);
            }
        }
        return new GeneralName(GeneralName.dNSName, host);
    }
}
