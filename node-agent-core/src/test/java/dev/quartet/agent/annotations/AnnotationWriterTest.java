package dev.quartet.agent.annotations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.nvidia.NodeAgentReport;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent writes a value once, where it differs, one merge patch per object, and keeps everyone else's annotations:
 * a pod start costs at most two writes (its own annotation and the node's layout), and passes with nothing new cost
 * none. Against fabric8's API server double in CRUD mode, which applies merge patches as the API server does.
 */
@EnableKubernetesMockClient(crud = true)
class AnnotationWriterTest {

    static final String NODE = "gpu-node-1";
    static final String DEVICE = "{\"gpu\":0,\"profile\":\"1g.6gb\",\"start\":1,\"uuid\":\"MIG-a\"}";

    KubernetesClient client;
    KubernetesMockServer server;

    SharedIndexInformer<Pod> pods;
    SharedIndexInformer<Node> nodes;
    AnnotationWriter writer;

    @BeforeEach
    void cluster() {
        client.nodes()
                .resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(NODE)
                        .endMetadata()
                        .build())
                .create();
        client.pods()
                .inNamespace("ml")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withNamespace("ml")
                        .withName("resnet-0")
                        .addToAnnotations("someone.else/note", "kept")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName(NODE)
                        .endSpec()
                        .build())
                .create();
        pods = client.pods().inAnyNamespace().inform();
        nodes = client.nodes().withName(NODE).inform();
        writer = new AnnotationWriter(client, NODE, pods.getStore(), nodes.getStore());
        await().until(() ->
                pods.getStore().list().size() == 1 && nodes.getStore().list().size() == 1);
        drainRequests();
    }

    @AfterEach
    void stop() {
        pods.close();
        nodes.close();
    }

    static DesiredAnnotations desired(String layout) {
        return new DesiredAnnotations(
                Map.of(new PodKey("ml", "resnet-0"), DEVICE),
                Map.of(NodeAgentReport.MIG_LAYOUT, layout, NodeAgentReport.MIG_PROFILES, "{}"),
                List.of());
    }

    @Test
    void aPodStartCostsTwoWritesAndARepeatedPassNone() {
        assertThat(writer.apply(desired("{\"gpus\":[]}"))).isEqualTo(2);
        assertThat(patches()).containsExactlyInAnyOrder("/api/v1/namespaces/ml/pods/resnet-0", "/api/v1/nodes/" + NODE);

        assertThat(writer.apply(desired("{\"gpus\":[]}")))
                .as("before the informers caught up")
                .isZero();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> DEVICE.equals(pods.getStore()
                        .getByKey("ml/resnet-0")
                        .getMetadata()
                        .getAnnotations()
                        .get(NodeAgentReport.MIG_DEVICE)));
        assertThat(writer.apply(desired("{\"gpus\":[]}")))
                .as("after the informers caught up")
                .isZero();
        assertThat(patches()).isEmpty();

        Pod pod = client.pods().inNamespace("ml").withName("resnet-0").get();
        assertThat(pod.getMetadata().getAnnotations())
                .containsEntry(NodeAgentReport.MIG_DEVICE, DEVICE)
                .containsEntry("someone.else/note", "kept");
    }

    @Test
    void aChangedLayoutIsOneNodeWrite() {
        writer.apply(desired("{\"gpus\":[]}"));
        drainRequests();

        assertThat(writer.apply(desired("{\"gpus\":[{\"index\":0}]}"))).isEqualTo(1);
        assertThat(patches()).containsExactly("/api/v1/nodes/" + NODE);
        assertThat(client.nodes().withName(NODE).get().getMetadata().getAnnotations())
                .containsEntry(NodeAgentReport.MIG_LAYOUT, "{\"gpus\":[{\"index\":0}]}")
                .containsEntry(NodeAgentReport.MIG_PROFILES, "{}");
    }

    @Test
    void aPodTheCacheHasNotSeenIsLeftForItsOwnEvent() {
        DesiredAnnotations later =
                new DesiredAnnotations(Map.of(new PodKey("ml", "not-yet"), DEVICE), Map.of(), List.of());
        assertThat(writer.apply(later)).isZero();
        assertThat(patches()).isEmpty();
    }

    private List<String> patches() {
        List<String> paths = new java.util.ArrayList<>();
        RecordedRequest request;
        try {
            while ((request = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
                if ("PATCH".equals(request.getMethod())) {
                    paths.add(request.getPath());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return paths;
    }

    private void drainRequests() {
        patches();
    }
}
