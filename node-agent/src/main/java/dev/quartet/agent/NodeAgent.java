package dev.quartet.agent;

import dev.quartet.agent.annotations.AnnotationRendering;
import dev.quartet.agent.annotations.DesiredAnnotations;
import dev.quartet.agent.kubelet.PodDevices;
import dev.quartet.agent.kubelet.PodResourcesReader;
import dev.quartet.agent.nvml.GpuFacts;
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
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The agent's loop: every pass reads NVML and the kubelet's PodResources, joins them, and writes what changed. A pass
 * runs at start, every {@code resync-interval}, and shortly after a pod of this node changes (a pod start is the event
 * that matters); all passes run on one thread.
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
    private AnnotationWriter writer;
    private final AtomicBoolean passQueued = new AtomicBoolean();
    private String lastProblem;

    void start(@Observes StartupEvent event) {
        String node = config.nodeName();
        loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "node-agent"));
        podResources = new PodResourcesReader(config.podResourcesSocket(), config.podResourcesTimeout());
        nodeInformer = client.nodes().withName(node).inform();
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
        writer = new AnnotationWriter(client, node, podInformer.getStore(), nodeInformer.getStore());
        long resync = config.resyncInterval().toMillis();
        loop.scheduleWithFixedDelay(this::pass, 0, resync, TimeUnit.MILLISECONDS);
        Log.infof(
                "node agent on %s: PodResources at %s, NVML from %s, a pass every %s and after pod changes",
                node, config.podResourcesSocket(), config.nvmlLibrary(), config.resyncInterval());
    }

    private void passSoon() {
        if (passQueued.compareAndSet(false, true)) {
            loop.schedule(
                    () -> {
                        passQueued.set(false);
                        pass();
                    },
                    config.eventDelay().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** One pass; a failure is logged once per distinct problem and the next pass tries again. */
    void pass() {
        try {
            if (nvml == null) {
                nvml = NvmlReader.open(config.nvmlLibrary());
            }
            List<GpuFacts> gpus = nvml.read();
            List<PodDevices> pods = podResources.list();
            DesiredAnnotations desired = AnnotationRendering.desired(pods, gpus);
            if (!desired.unknownDevices().isEmpty()) {
                Log.debugf("MIG devices NVML does not list (yet): %s", desired.unknownDevices());
            }
            int writes = writer.apply(desired);
            Log.debugf(
                    "pass on %s: %d GPUs, %d pods with MIG devices, %d writes",
                    config.nodeName(), gpus.size(), pods.size(), writes);
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
