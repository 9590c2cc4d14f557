package dev.quartet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.model.InferenceDeployment;
import dev.quartet.preview.PlanPreview;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code plan --live}'s arguments, files and text; the cluster side is tested by PreviewIT. */
class LivePlanCommandTest {

    private static int run(List<String> args, StringBuilder err) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = new PlanCommand(() -> {
                    throw new AssertionError("no cluster is needed to reject arguments");
                })
                .run(
                        args,
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(e, true, StandardCharsets.UTF_8));
        err.append(e.toString(StandardCharsets.UTF_8));
        return code;
    }

    @Test
    void badArgumentsExitTwoBeforeTheClusterIsAsked() {
        StringBuilder err = new StringBuilder();
        assertThat(run(List.of("--live", "-f"), err)).isEqualTo(2);
        assertThat(err.toString()).startsWith("kubectl quartet plan: -f needs a value (usage: plan --live");

        err.setLength(0);
        assertThat(run(List.of("--live", "-o", "yaml"), err)).isEqualTo(2);
        assertThat(err.toString()).startsWith("kubectl quartet plan: -o takes text or json (got 'yaml')");

        err.setLength(0);
        assertThat(run(List.of("--live", "--idle-gpu-cover-min-slices", "-1"), err))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--idle-gpu-cover-min-slices takes a whole number, 0 or more");

        err.setLength(0);
        assertThat(run(List.of("--live", "--frobnicate"), err)).isEqualTo(2);
        assertThat(err.toString()).contains("unknown argument '--frobnicate'");
    }

    @Test
    void theExamplesAreReadIntoTheGivenNamespaceUnlessTheyNameOne() {
        List<InferenceDeployment> read = LivePlanCommand.read(
                Path.of("../examples/priority-competition.yaml").toString(), null, "team-a");

        assertThat(read).extracting(d -> d.getMetadata().getName()).containsExactly("fraud-online", "batch-scoring");
        assertThat(read)
                .allSatisfy(d -> assertThat(d.getMetadata().getNamespace()).isEqualTo("team-a"));
    }

    @Test
    void otherKindsAndEmptyFilesAreRefusedWithWhy() {
        assertThatThrownBy(() -> LivePlanCommand.read(
                        "-",
                        new ByteArrayInputStream("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n".getBytes()),
                        "ns"))
                .hasMessage("only InferenceDeployments can be previewed, not kind Pod");
        assertThatThrownBy(() -> LivePlanCommand.read("-", new ByteArrayInputStream("# nothing\n".getBytes()), "ns"))
                .hasMessage("no InferenceDeployment in it");
    }

    @Test
    void thePreviewReadsAsSectionsWithOneLinePerChange() {
        PlanPreview p = new PlanPreview(
                List.of(new PlanPreview.Repartition("a", 2, "A30", "4x1g.6gb", "4g.24gb", List.of())),
                List.of(new PlanPreview.NewReplica("ml/summarizer", new PlanPreview.Slot("a", 2, "4g.24gb", 0), true)),
                List.of(new PlanPreview.Move(
                        "ml/web-1",
                        "ml/web",
                        new PlanPreview.Slot("a", 0, "1g.6gb", 1),
                        new PlanPreview.Slot("b", 1, "1g.6gb", 0))),
                List.of(),
                List.of(),
                List.of(new PlanPreview.Pending(
                        "ml/batch",
                        2,
                        4,
                        "InsufficientSlices",
                        "every GPU that could hold this profile is full",
                        List.of("raise spec.priority to 11 (now 0): 2 more replicas fit"))));

        assertThat(PreviewText.render(p)).isEqualTo("""
                        GPUs repartitioned: 1
                          a GPU 2 (A30): 4x1g.6gb -> 4g.24gb
                        Replicas created: 1
                          ml/summarizer on a GPU 2 (4g.24gb at slot 0), after its GPU is repartitioned
                        Replicas moved: 1
                          ml/web-1: a GPU 0 (1g.6gb at slot 1) -> b GPU 1 (1g.6gb at slot 0)
                        Replicas pre-empted (a higher priority takes the slice, no replacement): none
                        Replicas removed: none
                        Pending: 2 replicas
                          ml/batch: 2 of 4 replicas have no MIG slice: every GPU that could hold this profile is full
                            would fit: raise spec.priority to 11 (now 0): 2 more replicas fit
                        """);
    }
}
