package dev.quartet.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** The node agent's settings (environment {@code QUARTET_AGENT_...}); the chart sets the node name. */
@ConfigMapping(prefix = "quartet.agent")
public interface AgentConfig {

    /** The node this agent runs on (the chart passes {@code spec.nodeName} through the downward API). */
    String nodeName();

    /** The kubelet's PodResources socket. */
    @WithDefault("/var/lib/kubelet/pod-resources/kubelet.sock")
    Path podResourcesSocket();

    /** The NVML library: a name the dynamic linker resolves, or a path (the simulator's fake). */
    @WithDefault("libnvidia-ml.so.1")
    String nvmlLibrary();

    /** A full pass at least this often, whatever else happens. */
    @WithDefault("30s")
    Duration resyncInterval();

    /** How long a pod event waits for others before it starts a pass (a pod start brings several events). */
    @WithDefault("1s")
    Duration eventDelay();

    /** Deadline of one PodResources call. */
    @WithDefault("10s")
    Duration podResourcesTimeout();
}
