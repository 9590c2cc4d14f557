package dev.quartet.agent;

import dev.quartet.agent.annotations.AnnotationWriter;
import dev.quartet.agent.core.AgentPass;
import dev.quartet.agent.core.PassScheduler;
import dev.quartet.agent.kubelet.PodResourcesReader;
import dev.quartet.agent.nvml.NvmlReader;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The agent's loop: every pass ({@link AgentPass}) reads NVML and the kubelet's PodResources, joins them, and writes
 * what changed. A pass runs at start, every {@code resync-interval}, and {@code event-delay} after a pod of this node
 * or the node itself changes (a pod start; MIG Manager's state label after it changed the GPUs); all passes run on one
 * thread ({@link PassScheduler}). The GPU node simulator runs the same pass and scheduler per simulated node.
 */
@ApplicationScoped
public class NodeAgent {

    @Inject
    AgentConfig config;

    @Inject
    KubernetesClient client;

    private ScheduledExecutorService loop;
    private SharedIndexInformer<Pod> podInformer;
    private SharedIndexInformer<Node> nodeInformer;
    private PodResourcesReader podResources;
    private NvmlReader nvml;
    private AgentPass agentPass;
    private PassScheduler passes;
    private String lastProblem;

    void start(@Observes StartupEvent event) {
        String node = config.nodeName();
        loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "node-agent"));
        podResources = new PodResourcesReader(config.podResourcesSocket(), config.podResourcesTimeout());
        nodeInformer = client.nodes().withName(node).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node n) {
                passSoon();
            }

            @Override
            public void onUpdate(Node before, Node after) {
                passSoon();
            }

            @Override
            public void onDelete(Node n, boolean unknownFinalState) {}
        });
        podInformer = client.pods()
                .inAnyNamespace()
                .withField("spec.nodeName", node)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        passSoon();
                    }

                    @Override
                    public void onUpdate(Pod before, Pod after) {
                        passSoon();
                    }

                    @Override
                    public void onDelete(Pod pod, boolean unknownFinalState) {
                        passSoon();
                    }
                });
        AnnotationWriter writer = new AnnotationWriter(client, node, podInformer.getStore(), nodeInformer.getStore());
        agentPass = new AgentPass(() -> nvml().read(), podResources, writer);
        passes = new PassScheduler(loop, this::pass, config.eventDelay(), config.resyncInterval());
        passes.start(Duration.ZERO);
        Log.infof(
                "node agent on %s: PodResources at %s, NVML from %s, a pass every %s and after pod changes",
                node, config.podResourcesSocket(), config.nvmlLibrary(), config.resyncInterval());
    }

    private void passSoon() {
        if (passes != null) {
            passes.passSoon();
        }
    }

    private NvmlReader nvml() {
        if (nvml == null) {
            nvml = NvmlReader.open(config.nvmlLibrary());
        }
        return nvml;
    }

    /** One pass; a failure is logged once per distinct problem and the next pass tries again. */
    void pass() {
        try {
            AgentPass.Result result = agentPass.run();
            if (!result.unknownDevices().isEmpty()) {
                Log.debugf("MIG devices NVML does not list (yet): %s", result.unknownDevices());
            }
            Log.debugf(
                    "pass on %s: %d GPUs, %d pods with MIG devices, %d writes",
                    config.nodeName(), result.gpus(), result.pods(), result.writes());
            if (lastProblem != null) {
                Log.infof("node agent on %s works again", config.nodeName());
                lastProblem = null;
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!problem.equals(lastProblem)) {
                Log.warnf(
                        "node agent on %s: %s; retrying every %s (NVML needs the NVIDIA runtime with"
                                + " NVIDIA_VISIBLE_DEVICES=all; PodResources needs %s mounted)",
                        config.nodeName(), problem, config.resyncInterval(), config.podResourcesSocket());
                lastProblem = problem;
            }
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (passes != null) {
            passes.close();
        }
        if (loop != null) {
            loop.shutdownNow();
        }
        if (podInformer != null) {
            podInformer.close();
        }
        if (nodeInformer != null) {
            nodeInformer.close();
        }
        if (podResources != null) {
            podResources.close();
        }
        if (nvml != null) {
            nvml.close();
        }
    }
}
