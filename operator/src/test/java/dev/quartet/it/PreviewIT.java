package dev.quartet.it;

import static dev.quartet.it.Kubectl.kubectl;
import static dev.quartet.it.Kubectl.quartet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.planner.GpuState;
import dev.quartet.planner.NodeState;
import dev.quartet.preview.Layouts;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl quartet plan --live} says what the operator then does: on the demo's cluster shape with the first
 * examples running, the preview of examples/movable-repartition.yaml names the GPU it repartitions and the replica it
 * places; applying the file, the operator repartitions exactly those GPUs (to the layout said), moves the replicas
 * said (none) and leaves as many replicas pending. {@code explain} and {@code layout} then describe the result.
 */
class PreviewIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theOperatorDoesWhatThePreviewOfAChangeSaid() throws Exception {
        try (OperatorTestBed bed = new OperatorTestBed(
                "preview",
                o -> o.withNodes(2)
                        .withGpusPerNode(4)
                        .withLayout("4x1g.6gb")
                        .withReconfigureDelay(Duration.ofSeconds(1)),
                Map.of())) {
            for (String example : List.of("resnet-torchscript-1g.yaml", "ocr-onnx-by-memory.yaml")) {
                for (String doc :
                        Files.readString(Path.of("../examples", example)).split("(?m)^---$")) {
                    bed.create(bed.client.getKubernetesSerialization().unmarshal(doc, InferenceDeployment.class));
                }
            }
            bed.awaitReady("resnet", 4, Duration.ofSeconds(180));
            bed.awaitReady("ocr", 2, Duration.ofSeconds(180));
            String[] scope = {
                "--watch-namespaces", bed.namespace,
                "--mig-namespace", bed.namespace,
                "--mig-configmap", OperatorTestBed.MIG_CONFIGMAP,
                "-n", bed.namespace
            };
            // Settled: with nothing changed, the plan the operator makes changes nothing any more.
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(2))
                    .untilAsserted(() -> {
                        JsonNode now = preview(bed, scope);
                        assertThat(now.path("repartitions")).isEmpty();
                        assertThat(now.path("placed")).isEmpty();
                        assertThat(now.path("moved")).isEmpty();
                        assertThat(now.path("removed")).isEmpty();
                    });

            Map<String, String> before = layouts(bed);
            Set<String> podsBefore = replicaPods(bed);
            JsonNode preview = preview(bed, concat(scope, "-f", "../examples/movable-repartition.yaml"));
            Kubectl.Run text = quartet(
                    bed.cluster,
                    concat(
                            concat(new String[] {"plan", "--live"}, scope),
                            "-f",
                            "../examples/movable-repartition.yaml"));
            assertThat(text.exit()).as("%s", text).isZero();
            assertThat(text.out())
                    .contains("(a preview: nothing is written)")
                    .contains("GPUs repartitioned: 1")
                    .contains("-> 4g.24gb")
                    .contains("Pending: none");

            assertThat(preview.path("applied"))
                    .extracting(JsonNode::asText)
                    .containsExactly(bed.namespace + "/summarizer");
            assertThat(preview.path("repartitions")).hasSize(1);
            JsonNode repartition = preview.path("repartitions").get(0);
            String gpu = repartition.path("node").asText() + " GPU "
                    + repartition.path("gpu").asInt();
            assertThat(repartition.path("from").asText()).isEqualTo(before.get(gpu));
            assertThat(repartition.path("to").asText()).isEqualTo("4g.24gb");
            assertThat(preview.path("placed")).hasSize(1);
            JsonNode placed = preview.path("placed").get(0);
            assertThat(placed.path("deployment").asText()).isEqualTo(bed.namespace + "/summarizer");
            assertThat(placed.path("slot").path("node").asText())
                    .isEqualTo(repartition.path("node").asText());
            assertThat(placed.path("slot").path("gpu").asInt())
                    .isEqualTo(repartition.path("gpu").asInt());
            assertThat(bed.get("summarizer")).as("a preview writes nothing").isNull();
            assertThat(layouts(bed)).isEqualTo(before);

            Kubectl.Run apply =
                    kubectl(bed.cluster, "apply", "-n", bed.namespace, "-f", "../examples/movable-repartition.yaml");
            assertThat(apply.exit()).as("%s", apply).isZero();
            assertThat(apply.warnings()).as("it fits: %s", apply).isEmpty();
            bed.awaitReady("summarizer", 1, Duration.ofSeconds(180));

            Map<String, String> after = layouts(bed);
            Map<String, String> changed = new TreeMap<>();
            after.forEach((g, layout) -> {
                if (!layout.equals(before.get(g))) {
                    changed.put(g, layout);
                }
            });
            assertThat(changed).as("GPUs the operator repartitioned").isEqualTo(Map.of(gpu, "4g.24gb"));
            Set<String> gone = new TreeSet<>(podsBefore);
            gone.removeAll(replicaPods(bed));
            Set<String> movedSaid = new TreeSet<>();
            preview.path("moved").forEach(m -> movedSaid.add(m.path("replica").asText()));
            preview.path("preempted")
                    .forEach(m -> movedSaid.add(m.path("replica").asText()));
            assertThat(gone).as("replicas the operator moved away").isEqualTo(movedSaid);
            int pendingSaid = 0;
            for (JsonNode p : preview.path("pending")) {
                pendingSaid += p.path("missing").asInt();
            }
            int pendingNow = bed.deployments().inNamespace(bed.namespace).list().getItems().stream()
                    .mapToInt(d -> d.getStatus().getMissingReplicas())
                    .sum();
            assertThat(pendingNow).isEqualTo(pendingSaid);
            Pod summarizer = bed.pods("summarizer").get(0);
            assertThat(PodFacts.node(summarizer))
                    .isEqualTo(repartition.path("node").asText());
            assertThat(ReplicaSlice.of(summarizer).orElseThrow().gpu())
                    .isEqualTo(repartition.path("gpu").asInt());

            Kubectl.Run explain = quartet(bed.cluster, concat(new String[] {"explain", "summarizer"}, scope));
            assertThat(explain.exit()).as("%s", explain).isZero();
            assertThat(explain.out())
                    .startsWith(bed.namespace + "/summarizer: 1 replica of 4g.24gb, priority 50, spread, movable")
                    .contains("summarizer-0  runs on " + gpu + " (4g.24gb at slot 0, MIG-")
                    .contains("kept where it runs");
            Kubectl.Run layout = quartet(
                    bed.cluster,
                    "layout",
                    "--mig-namespace",
                    bed.namespace,
                    "--mig-configmap",
                    OperatorTestBed.MIG_CONFIGMAP);
            assertThat(layout.exit()).as("%s", layout).isZero();
            assertThat(layout.out())
                    .contains("MIG Manager: success; last repartition: quartet-")
                    .contains(", applied")
                    .contains("4g.24gb at slot 0: " + bed.namespace + "/summarizer-0 on MIG-");

            // More than the cluster holds: the preview names the short deployment and what would fit it.
            JsonNode crowded = preview(bed, concat(scope, "-f", "../examples/priority-competition.yaml"));
            assertThat(crowded.path("pending")).isNotEmpty();
            assertThat(crowded.path("pending").get(0).path("wouldFit")).isNotEmpty();
            bed.assertNoNonMovableReplicaDeleted();
        }
    }

    private static JsonNode preview(OperatorTestBed bed, String... args) throws Exception {
        Kubectl.Run run = quartet(bed.cluster, concat(concat(new String[] {"plan", "--live", "-o", "json"}, args)));
        assertThat(run.exit()).as("%s", run).isZero();
        return JSON.readTree(run.out());
    }

    private static String[] concat(String[] head, String... tail) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    /** Each GPU of the bed's nodes ({@code <node> GPU <i>}) with its layout, as the operator derives it. */
    private static Map<String, String> layouts(OperatorTestBed bed) {
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                bed.client.nodes().list().getItems().stream()
                        .filter(n ->
                                bed.sim.nodeNames().contains(n.getMetadata().getName()))
                        .toList(),
                bed.client.pods().inAnyNamespace().list().getItems(),
                bed.client
                        .configMaps()
                        .inNamespace(bed.namespace)
                        .withName(OperatorTestBed.MIG_CONFIGMAP)
                        .get(),
                "config.yaml");
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot, new InventoryBuilder.Owners(Map.of()), Instant.now());
        Map<String, String> layouts = new TreeMap<>();
        for (NodeState n : inventory.state().nodes()) {
            for (GpuState g : n.gpus()) {
                layouts.put(n.name() + " GPU " + g.index(), Layouts.describeCurrent(g.instances()));
            }
        }
        return layouts;
    }

    private static Set<String> replicaPods(OperatorTestBed bed) {
        return bed.client.pods().inNamespace(bed.namespace).list().getItems().stream()
                .filter(p -> InventoryBuilder.deploymentOf(p) != null && !PodFacts.isTerminating(p))
                .map(PodFacts::id)
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
