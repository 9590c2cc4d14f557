package dev.quartet.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quartet.model.InferenceDeployment;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns the CRD fabric8's generator wrote during the Quarkus build into the committed {@code crds/} file. The
 * generator sorts printer columns by JSON path; kubectl shows them in file order, so they are put back in the
 * order the model declares them (Ready, Replicas, Profile, Endpoint, Age). Nothing else changes.
 */
public final class CrdExport {

    public static final String FILE = "inferencedeployments.inference.quartet.dev-v1.yml";
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build();
    private static final String HEADER =
            "# Generated from the Java model (dev.quartet.model) by fabric8's CRD generator during the\n"
                    + "# operator build; refresh with hack/update-crds.sh. Do not edit by hand: CI fails on drift.\n";

    private CrdExport() {}

    /** The committed form of the generated CRD text. */
    public static String export(String generated) throws IOException {
        ObjectNode crd = (ObjectNode) YAML.readTree(generated);
        List<String> order = Arrays.stream(
                        InferenceDeployment.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name)
                .toList();
        for (JsonNode version : crd.path("spec").path("versions")) {
            ArrayNode columns = (ArrayNode) version.path("additionalPrinterColumns");
            List<JsonNode> sorted = new ArrayList<>();
            columns.forEach(sorted::add);
            sorted.sort((a, b) -> Integer.compare(
                    order.indexOf(a.path("name").asText()),
                    order.indexOf(b.path("name").asText())));
            columns.removeAll();
            sorted.forEach(columns::add);
        }
        return HEADER + YAML.writeValueAsString(crd);
    }

    /** {@code CrdExport <generated file> <target file>...}: writes the committed form to each target. */
    public static void main(String[] args) throws IOException {
        String text = export(Files.readString(Path.of(args[0])));
        for (int i = 1; i < args.length; i++) {
            Files.writeString(Path.of(args[i]), text);
            System.out.println("wrote " + args[i]);
        }
    }
}
