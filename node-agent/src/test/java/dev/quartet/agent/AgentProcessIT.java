package dev.quartet.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quartet.nvidia.NodeAgentReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent as a process (Quarkus, its configuration from the environment, informers, its loop) on a node
 * made of doubles (AgentHarness): pods get their device, the node its layout, and a pod start costs at most two API
 * writes. Needs the package phase (target/quarkus-app) and no cluster.
 */
class AgentProcessIT {

    static final Path APP = Path.of(System.getProperty("quartet.agent.app", "target/quarkus-app"));
    static final String LIBRARY = System.getProperty("quartet.fake-nvml.library");

    @TempDir
    Path dir;

    AgentHarness node;

    @BeforeEach
    void start() throws Exception {
        node = new AgentHarness(dir);
        node.startPod("early", 0, 1);
        node.startAgent(APP, LIBRARY, List.of("-Xmx64m", "-XX:+UseSerialGC"));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void podsAndTheNodeGetTheAgentsAnnotationsAndAPodStartCostsAtMostTwoWrites() throws Exception {
        await().atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(annotations("early"))
                        .as("agent log:\n%s", node.agentLog())
                        .containsEntry(NodeAgentReport.MIG_DEVICE, AgentHarness.annotation(0, 1)));
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(node.client()
                                .nodes()
                                .withName(AgentHarness.NODE)
                                .get()
                                .getMetadata()
                                .getAnnotations())
                        .containsKeys(NodeAgentReport.MIG_LAYOUT, NodeAgentReport.MIG_PROFILES));
        assertThat(node.patches())
                .as("the first pass writes the pod and the node")
                .containsExactlyInAnyOrder("/api/v1/namespaces/ml/pods/early", "/api/v1/nodes/" + AgentHarness.NODE);
        Thread.sleep(6_000); // one resync with nothing new
        assertThat(node.patches()).as("nothing changed since the first writes").isEmpty();

        node.startPod("late", 2, 3);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(annotations("late"))
                        .containsEntry(NodeAgentReport.MIG_DEVICE, AgentHarness.annotation(2, 3)));
        Thread.sleep(6_000); // and one resync after
        assertThat(node.patches())
                .as("the pod's annotation and the node's layout (a process now runs on the slice)")
                .containsExactlyInAnyOrder("/api/v1/namespaces/ml/pods/late", "/api/v1/nodes/" + AgentHarness.NODE);
        assertThat(node.client()
                        .nodes()
                        .withName(AgentHarness.NODE)
                        .get()
                        .getMetadata()
                        .getAnnotations()
                        .get(NodeAgentReport.MIG_LAYOUT))
                .contains("\"uuid\":\"" + AgentHarness.uuid(2, 3) + "\",\"processes\":1");
    }

    private Map<String, String> annotations(String pod) {
        var p = node.client().pods().inNamespace("ml").withName(pod).get();
        return p.getMetadata().getAnnotations() == null
                ? Map.of()
                : p.getMetadata().getAnnotations();
    }
}
