package dev.quartet.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.quartet.testsupport.RepositoryRoot;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * The images the chart and the operator use by default are exactly those {@code hack/images.sh} builds and pushes
 * by default: its default registry, the names Quarkus gives the images (quarkus.container-image.name) and the
 * project version of the pom as tag.
 */
class ImageNamesTest {

    private static final Path ROOT = RepositoryRoot.find();

    @Test
    void chartInstallsTheImagesHackImagesShBuildsByDefault() throws Exception {
        String version = projectVersion();
        String registry = defaultRegistry();
        String operatorImage = registry + "/" + imageName("operator") + ":" + version;
        String workerImage = registry + "/" + imageName("worker-image") + ":" + version;
        String agentImage = registry + "/" + imageName("node-agent") + ":" + version;

        assertThat(imageName("operator")).isEqualTo("quartet-operator");
        assertThat(imageName("worker-image")).isEqualTo("quartet-worker");
        assertThat(imageName("node-agent")).isEqualTo("quartet-node-agent");
        assertThat(new ObjectMapper(new YAMLFactory())
                        .readTree(QuartetChart.directory().resolve("Chart.yaml").toFile())
                        .path("appVersion")
                        .asText())
                .as("helm/quartet/Chart.yaml appVersion is the pom's version")
                .isEqualTo(version);

        QuartetChart.Rendered chart = QuartetChart.render("prod", "quartet-system", Map.of());
        var operator = HelmChartTest.operatorContainer(chart);
        assertThat(operator.getImage()).isEqualTo(operatorImage);
        assertThat(HelmChartTest.env(operator)).containsEntry("QUARTET_WORKER_IMAGE", workerImage);
        assertThat(chart.all(DaemonSet.class))
                .singleElement()
                .satisfies(agent -> assertThat(
                                agent.getSpec().getTemplate().getSpec().getContainers())
                        .singleElement()
                        .satisfies(c -> assertThat(c.getImage()).isEqualTo(agentImage)));
    }

    @Test
    void operatorDefaultsToTheWorkerImageOfItsOwnVersion() {
        assertThat(HelmChartTest.operatorConfig(Map.of()).worker().image())
                .as("QuartetConfig.Worker#image's default")
                .isEqualTo(defaultRegistry() + "/" + imageName("worker-image") + ":" + projectVersion());
    }

    /** The version of the root pom (every module inherits it). */
    static String projectVersion() {
        try {
            var factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Element project = factory.newDocumentBuilder()
                    .parse(ROOT.resolve("pom.xml").toFile())
                    .getDocumentElement();
            var children = project.getChildNodes();
            for (int i = 0; i < children.getLength(); i++) {
                if (children.item(i) instanceof Element e && e.getTagName().equals("version")) {
                    return e.getTextContent().trim();
                }
            }
            throw new IllegalStateException("pom.xml has no <version>");
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the project version from pom.xml", e);
        }
    }

    /** DEFAULT_REGISTRY of hack/images.sh: where the images go when no --push REGISTRY is given. */
    private static String defaultRegistry() {
        try {
            Matcher m = Pattern.compile("(?m)^DEFAULT_REGISTRY=(\\S+)$")
                    .matcher(Files.readString(ROOT.resolve("hack/images.sh")));
            assertThat(m.find()).as("hack/images.sh sets DEFAULT_REGISTRY").isTrue();
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** quarkus.container-image.name of a module: the image's name without registry and tag. */
    private static String imageName(String module) {
        Properties properties = new Properties();
        try (InputStream in =
                Files.newInputStream(ROOT.resolve(module).resolve("src/main/resources/application.properties"))) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String name = properties.getProperty("quarkus.container-image.name");
        assertThat(name).as("%s sets quarkus.container-image.name", module).isNotBlank();
        return name;
    }
}
