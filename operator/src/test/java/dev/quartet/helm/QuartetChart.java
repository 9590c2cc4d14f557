package dev.quartet.helm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.quartet.testsupport.RepositoryRoot;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The chart {@code helm/quartet}, driven by the Helm that helm-java embeds (no helm binary): strict lint and
 * rendering without a cluster. Never downloads: helm-java's native library comes from the test class path.
 */
public final class QuartetChart {

    /** The oldest API server version the chart supports (the compatibility job's release). */
    public static final String KUBE_VERSION = "1.34.4";

    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static {
        // Without it helm-java may try to download a native jar when none is on the class path.
        System.setProperty("com.marcnuri.jkube-helm.skipRemoteJar", "true");
    }

    private QuartetChart() {}

    /** The chart's directory in this checkout. */
    public static Path directory() {
        return RepositoryRoot.find().resolve("helm/quartet");
    }

    /** {@code helm lint --strict}. */
    public static LintResult lint() {
        return new Helm(directory()).lint().strict().call();
    }

    /**
     * {@code helm template} for Kubernetes {@link #KUBE_VERSION} with {@code values} layered over values.yaml.
     * Throws {@link IllegalStateException} with Helm's message when rendering fails (e.g. a schema violation).
     * Helm's template sees only the API groups built into Helm, never a CRD's.
     */
    public static Rendered render(String release, String namespace, Map<String, ?> values) {
        return render(release, namespace, KUBE_VERSION, values);
    }

    /** As {@link #render(String, String, Map)} for another Kubernetes version. */
    public static Rendered render(String release, String namespace, String kubeVersion, Map<String, ?> values) {
        TemplateCommand template = new Helm(directory())
                .template()
                .withName(release)
                .withNamespace(namespace)
                .withKubeVersion(kubeVersion);
        if (!values.isEmpty()) {
            template.withValuesFile(valuesFile(values));
        }
        return new Rendered(parse(template.call()));
    }

    /** Writes {@code values} as a Helm values file under target/ (Helm's --set cannot express every type). */
    static Path valuesFile(Map<String, ?> values) {
        try {
            Path dir = Files.createDirectories(Path.of("target", "helm-values"));
            Path file = Files.createTempFile(dir, "values-", ".yaml");
            YAML.writeValue(file.toFile(), values);
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<HasMetadata> parse(String manifest) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : DOCUMENT_SEPARATOR.split(manifest)) {
            if (document.lines().anyMatch(l -> !l.isBlank() && !l.startsWith("#"))) {
                objects.add(Serialization.unmarshal(document, HasMetadata.class));
            }
        }
        return objects;
    }

    /** The objects one rendering produced, in Helm's install order. */
    public record Rendered(List<HasMetadata> objects) {

        /** Every object of {@code type}. */
        public <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        /** The one object of {@code type} named {@code name}; fails when there is none. */
        public <T extends HasMetadata> T one(Class<T> type, String name) {
            return all(type).stream()
                    .filter(o -> name.equals(o.getMetadata().getName()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in "
                            + objects.stream()
                                    .map(o ->
                                            o.getKind() + "/" + o.getMetadata().getName())
                                    .toList()));
        }

        /** Whether an object of {@code kind} was rendered. */
        public boolean hasKind(String kind) {
            return objects.stream().anyMatch(o -> kind.equals(o.getKind()));
        }
    }
}
