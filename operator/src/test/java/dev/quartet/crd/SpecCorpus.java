package dev.quartet.crd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The specs both lines of validation are tested on: {@code src/test/resources/invalid-specs/} (each file one
 * InferenceDeployment, with a {@code # server: <field>: <text>} line for each error the API server's own rules must
 * report, or, for the few problems those rules check more loosely than SpecValidator, a {@code # webhook: <field>:
 * <text>} line for each problem Quartet's admission webhook refuses it with, and a {@code # operator: <field>: <text>}
 * line for each problem SpecValidator must report) and
 * {@code src/test/resources/valid-specs/} with the examples, which both must accept.
 */
public final class SpecCorpus {

    static final Path INVALID = Path.of("src/test/resources/invalid-specs");
    static final Path VALID = Path.of("src/test/resources/valid-specs");
    static final Path EXAMPLES = Path.of("../examples");

    /** One expected error: the field it names and a text its message contains. */
    public record Expectation(String field, String text) {

        static Expectation parse(String line) {
            int colon = line.indexOf(": ");
            if (colon < 1) {
                throw new IllegalArgumentException("not '<field>: <text>': " + line);
            }
            return new Expectation(line.substring(0, colon), line.substring(colon + 2));
        }

        @Override
        public String toString() {
            return field + ": " + text;
        }
    }

    /** An invalid spec and what each line of validation must say about it. */
    public record InvalidSpec(
            Path file, List<Expectation> server, List<Expectation> webhook, List<Expectation> operator) {

        @Override
        public String toString() {
            return file.getFileName().toString();
        }
    }

    private SpecCorpus() {}

    public static Stream<InvalidSpec> invalidSpecs() {
        return yamlFiles(INVALID).map(SpecCorpus::invalidSpec);
    }

    /** The valid specs and every example: files the API server and the operator both accept. */
    public static Stream<Path> validSpecs() {
        return Stream.concat(yamlFiles(VALID), yamlFiles(EXAMPLES));
    }

    public static InvalidSpec invalidSpec(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return new InvalidSpec(
                    file,
                    expectations(lines, "# server: "),
                    expectations(lines, "# webhook: "),
                    expectations(lines, "# operator: "));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Expectation> expectations(List<String> lines, String prefix) {
        return lines.stream()
                .filter(l -> l.startsWith(prefix))
                .map(l -> Expectation.parse(l.substring(prefix.length())))
                .toList();
    }

    private static Stream<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
