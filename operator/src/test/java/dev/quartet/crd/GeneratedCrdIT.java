package dev.quartet.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Fails when the committed CRD (crds/ and the Helm chart's copy) is not what a fresh build generates from the
 * Java model. Runs after packaging, when the generated file exists. Fix: hack/update-crds.sh.
 */
class GeneratedCrdIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void committedCrdsMatchTheModel() throws Exception {
        String expected = CrdExport.export(Files.readString(Path.of("target/kubernetes", CrdExport.FILE)));
        for (Path committed : new Path[] {
            ROOT.resolve("crds").resolve(CrdExport.FILE),
            ROOT.resolve("helm/quartet/crds").resolve(CrdExport.FILE)
        }) {
            assertThat(committed)
                    .as("%s exists (run hack/update-crds.sh)", committed)
                    .exists();
            assertThat(Files.readString(committed))
                    .as("%s is out of date: run hack/update-crds.sh and commit the result", committed)
                    .isEqualTo(expected);
        }
    }

    @Test
    void printerColumnsComeInTheModelsOrder() throws Exception {
        String crd = Files.readString(ROOT.resolve("crds").resolve(CrdExport.FILE));
        assertThat(crd.indexOf("name: Ready")).isLessThan(crd.indexOf("name: Replicas"));
        assertThat(crd.indexOf("name: Replicas")).isLessThan(crd.indexOf("name: Profile"));
        assertThat(crd.indexOf("name: Profile")).isLessThan(crd.indexOf("name: Endpoint"));
        assertThat(crd.indexOf("name: Endpoint")).isLessThan(crd.indexOf("name: Age"));
    }
}
