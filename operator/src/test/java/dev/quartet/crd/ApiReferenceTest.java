package dev.quartet.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/api-reference.md must describe the committed CRD; refresh both with hack/update-crds.sh. */
class ApiReferenceTest {

    @Test
    void apiReferenceMatchesTheCommittedCrd() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        String expected =
                ApiReference.render(Files.readString(root.resolve("crds").resolve(CrdExport.FILE)));
        assertThat(Files.readString(root.resolve("docs/api-reference.md")))
                .as("docs/api-reference.md is out of date: run hack/update-crds.sh")
                .isEqualTo(expected);
        assertThat(expected)
                .contains(
                        "`spec.slice.profile`",
                        "`spec.movable`",
                        "`status.placements[].device`",
                        "Reason (`.status.conditions[?(@.type==\"Ready\")].reason`) (wide)",
                        "## Validation rules",
                        "| `spec.slice` | `has(self.profile) != has(self.memoryGiB)` | spec.slice: set exactly one of "
                                + "profile and memoryGiB |",
                        "| `spec.slice.profile` | `!has(self.gpuModel) \\|\\| ",
                        "| `(the whole object)` | `oldSelf.hasValue() \\|\\| self.metadata.name.size() <= 63");
    }
}
