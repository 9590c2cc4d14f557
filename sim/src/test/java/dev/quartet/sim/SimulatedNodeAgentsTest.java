package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NodeAgentReport;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node agent of a simulated node, run in the simulator's process, is the one writer of the pod's MIG device and
 * the node's layout: after a change, with the agent's lag, through the kubelet's PodResources socket and the
 * agent's own writer. Against fabric8's API server double in CRUD mode; the node's state stands in for the
 * simulator's event loop.
 */
@EnableKubernetesMockClient(crud = true)
class SimulatedNodeAgentsTest {

    static final String NODE = "gpu-node-1";
    static final Duration EVENT_DELAY = Duration.ofMillis(300);
    static final ObjectMapper JSON = new ObjectMapper();

    KubernetesClient client;

    SharedIndexInformer<Pod> pods;
    SharedIndexInformer<Node> nodes;
    SimulatedNodeAgents agents;
    final AtomicReference<SimulatedNodeAgents.NodeState> state = new AtomicReference<>();
    volatile boolean kubeletDown;

    /** GPU 0 with four 1g.6gb devices, GPU 1 as one 4g.24gb. */
    static List<GpuHardware> fourSmallAndOneWhole() {
        MigProfile small = GpuModel.A30.profiles().get(0);
        List<GpuInstance> four = new ArrayList<>();
        for (int start = 0; start < 4; start++) {
            four.add(new GpuInstance(small, start));
        }
        MigProfile whole = GpuModel.A30.profiles().stream()
                .filter(p -> p.name().equals("4g.24gb"))
                .findFirst()
                .orElseThrow();
        return List.of(
                GpuHardware.of(NODE, 0, GpuModel.A30, true, four),
                GpuHardware.of(NODE, 1, GpuModel.A30, true, List.of(new GpuInstance(whole, 0))));
    }

    @BeforeEach
    void node() {
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
                        .withName("r0")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName(NODE)
                        .addNewContainer()
                        .withName("worker")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        pods = client.pods().inAnyNamespace().inform();
        nodes = client.nodes().inform();
        await().until(() ->
                pods.getStore().list().size() == 1 && nodes.getStore().list().size() == 1);
        state.set(new SimulatedNodeAgents.NodeState(List.of(), fourSmallAndOneWhole(), Map.of()));
        agents = new SimulatedNodeAgents(
                client,
                n -> {
                    if (kubeletDown) {
                        throw new IllegalStateException("the kubelet does not answer");
                    }
                    return state.get();
                },
                EVENT_DELAY,
                Duration.ofMinutes(10));
    }

    @AfterEach
    void stop() {
        agents.close();
        pods.close();
        nodes.close();
    }

    private Map<String, String> podAnnotations() {
        Map<String, String> a = client.pods()
                .inNamespace("ml")
                .withName("r0")
                .get()
                .getMetadata()
                .getAnnotations();
        return a == null ? Map.of() : a;
    }

    private Map<String, String> nodeAnnotations() {
        Map<String, String> a =
                client.nodes().withName(NODE).get().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    /** (profile, start) of every instance the node's layout annotation lists on GPU {@code gpu}. */
    private List<String> layoutOf(int gpu) throws Exception {
        String layout = nodeAnnotations().get(NodeAgentReport.MIG_LAYOUT);
        if (layout == null) {
            return List.of();
        }
        List<String> instances = new ArrayList<>();
        for (JsonNode g : JSON.readTree(layout).get("gpus")) {
            if (g.get("index").asInt() == gpu) {
                g.get("instances")
                        .forEach(in -> instances.add(in.get("profile").asText() + "@"
                                + in.get("start").asInt()));
            }
        }
        return instances;
    }

    @Test
    void aStartedPodGetsItsDeviceFromTheAgentAfterItsLagAndADeletedOneFreesIt() throws Exception {
        agents.start(NODE, pods.getStore(), nodes.getStore());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> layoutOf(0).equals(List.of("1g.6gb@0", "1g.6gb@1", "1g.6gb@2", "1g.6gb@3")));
        assertThat(nodeAnnotations()).containsKey(NodeAgentReport.MIG_PROFILES);

        // the kubelet gives the pod GPU 0's device at start 2: the agent writes it, not at once but after its delay
        MigDevice device = state.get().gpus().get(0).devices().get(2);
        state.set(new SimulatedNodeAgents.NodeState(
                List.of(new SimulatedPodResources.PodDevices(
                        "ml",
                        "r0",
                        "worker",
                        Map.of(device.uuid(), device.profile().resourceName()))),
                state.get().gpus(),
                Map.of(device.uuid(), "pod ml/r0")));
        long changed = System.nanoTime();
        agents.changed(NODE);
        assertThat(podAnnotations()).doesNotContainKey(NodeAgentReport.MIG_DEVICE);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> device.annotationJson().equals(podAnnotations().get(NodeAgentReport.MIG_DEVICE)));
        assertThat(Duration.ofNanos(System.nanoTime() - changed)).isGreaterThanOrEqualTo(EVENT_DELAY);

        // the pod is deleted and MIG Manager makes GPU 0 one 4g.24gb: the node's layout follows
        client.pods().inNamespace("ml").withName("r0").delete();
        MigProfile whole = GpuModel.A30.profiles().stream()
                .filter(p -> p.name().equals("4g.24gb"))
                .findFirst()
                .orElseThrow();
        List<GpuHardware> gpus = new ArrayList<>(state.get().gpus());
        gpus.set(0, gpus.get(0).reconfigured(true, List.of(new GpuInstance(whole, 0))));
        state.set(new SimulatedNodeAgents.NodeState(List.of(), gpus, Map.of()));
        agents.changed(NODE);
        await().atMost(Duration.ofSeconds(10)).until(() -> layoutOf(0).equals(List.of("4g.24gb@0")));
    }

    @Test
    void aNodeWhoseKubeletIsDownGetsNothingWrittenUntilItAnswers() throws Exception {
        kubeletDown = true;
        agents.start(NODE, pods.getStore(), nodes.getStore());
        agents.changed(NODE);
        Thread.sleep(EVENT_DELAY.multipliedBy(3).toMillis());
        assertThat(nodeAnnotations()).doesNotContainKey(NodeAgentReport.MIG_LAYOUT);

        kubeletDown = false;
        agents.changed(NODE);
        await().atMost(Duration.ofSeconds(10)).until(() -> !layoutOf(1).isEmpty());
        assertThat(layoutOf(1)).containsExactly("4g.24gb@0");
    }

    @Test
    void aNodeWithoutAnAgentGetsNoAnnotation() throws Exception {
        assertThat(SimulatorOptions.defaults().agentOn(NODE)).isTrue();
        SimulatorOptions without = SimulatorOptions.defaults().withNoAgentNodes(java.util.Set.of(NODE));
        assertThat(without.agentOn(NODE)).isFalse();
        assertThat(without.agentOn("gpu-node-2")).isTrue();
        assertThat(SimulatorOptions.defaults()
                        .withNoAgentNodes(java.util.Set.of("*"))
                        .agentOn("gpu-node-2"))
                .isFalse();

        agents.changed(NODE); // no agent started on it: nobody passes
        Thread.sleep(EVENT_DELAY.multipliedBy(3).toMillis());
        assertThat(agents.runsOn(NODE)).isFalse();
        assertThat(nodeAnnotations()).isEmpty();
        assertThat(podAnnotations()).isEmpty();
    }
}
