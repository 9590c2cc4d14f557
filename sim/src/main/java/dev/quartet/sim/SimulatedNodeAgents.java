package dev.quartet.sim;

import dev.quartet.agent.annotations.AnnotationWriter;
import dev.quartet.agent.core.AgentPass;
import dev.quartet.agent.core.PassScheduler;
import dev.quartet.agent.kubelet.PodResourcesReader;
import dev.quartet.agent.nvml.GpuFacts;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.Store;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The node agent of every simulated node, run in the simulator's process: the agent's own pass ({@link AgentPass}:
 * the PodResources client over a real unix socket, the annotation rendering, the writer that patches only what
 * changed) and its own scheduling ({@link PassScheduler}: a pass {@code eventDelay} after a change of one of the
 * node's pods or of the node, and every {@code resync}). Only NVML is not called through JNA: the GPUs' facts come
 * from the simulated GPUs ({@link SimulatedNvml}, the facts the fake C NVML would give). The node's PodResources
 * server ({@link SimulatedPodResources}) and its NVML are read at the start of each pass, as a kubelet and a driver
 * answer with what holds at the moment of the call.
 *
 * <p>All agents share one pool of two threads and three small epoll event loops, so 250 simulated nodes cost no
 * thread per node. A node whose kubelet is down (fault knob, reboot) has no PodResources to answer: its agent's passes
 * fail and write nothing until it is back.
 */
final class SimulatedNodeAgents implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SimulatedNodeAgents.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** What a pass reads of a simulated node, taken on the simulator's event loop. */
    record NodeState(
            List<SimulatedPodResources.PodDevices> pods, List<GpuHardware> gpus, Map<String, String> processes) {}

    /** Reads a node's state on the simulator's event loop; throws when the node's kubelet does not answer. */
    interface StateReader {
        NodeState read(String node);
    }

    private final KubernetesClient client;
    private final StateReader state;
    private final Duration eventDelay;
    private final Duration resync;
    private final Path socketDir;
    private final ScheduledExecutorService passes = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "node-agent-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
    private final EventLoopGroup serverBoss = new EpollEventLoopGroup(1);
    private final EventLoopGroup serverWorkers = new EpollEventLoopGroup(2);
    private final EventLoopGroup clients = new EpollEventLoopGroup(1);
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();

    private final class Agent {
        final String node;
        final SimulatedPodResources kubelet;
        final PodResourcesReader reader;
        final PassScheduler scheduler;
        final AgentPass pass;
        String lastProblem;

        Agent(String node, Store<Pod> pods, Store<Node> nodes) {
            this.node = node;
            Path socket = socketDir.resolve(node + ".sock");
            this.kubelet = SimulatedPodResources.serve(socket, serverBoss, serverWorkers);
            this.reader = new PodResourcesReader(socket, Duration.ofSeconds(10), clients);
            this.pass = new AgentPass(this::readGpus, reader, new AnnotationWriter(client, node, pods, nodes));
            this.scheduler = new PassScheduler(passes, this::run, eventDelay, resync);
        }

        /** NVML's answer, and the kubelet's PodResources answer published for the List that follows. */
        List<GpuFacts> readGpus() {
            NodeState now = state.read(node);
            kubelet.update(now.pods(), now.gpus());
            return SimulatedNvml.facts(now.gpus(), now.processes());
        }

        void run() {
            try {
                AgentPass.Result result = pass.run();
                LOG.fine(() -> "node agent on " + node + ": " + result);
                if (lastProblem != null) {
                    LOG.info(() -> "node agent on " + node + " works again");
                    lastProblem = null;
                }
            } catch (RuntimeException e) {
                String problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (!problem.equals(lastProblem)) {
                    LOG.info(() -> "node agent on " + node + ": " + problem + "; retrying");
                    lastProblem = problem;
                }
            }
        }

        void close() {
            scheduler.close();
            reader.close();
            kubelet.close();
        }
    }

    SimulatedNodeAgents(KubernetesClient client, StateReader state, Duration eventDelay, Duration resync) {
        this.client = client;
        this.state = state;
        this.eventDelay = eventDelay;
        this.resync = resync;
        try {
            // short: a unix socket's path has at most 107 bytes
            this.socketDir = Files.createTempDirectory("quartet-kubelets");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the simulated kubelets' sockets", e);
        }
    }

    /** Starts the agent of {@code node}; its first pass runs within {@code eventDelay}. */
    void start(String node, Store<Pod> pods, Store<Node> nodes) {
        agents.computeIfAbsent(node, n -> {
            Agent agent = new Agent(n, pods, nodes);
            long first = ThreadLocalRandom.current().nextLong(Math.max(1, eventDelay.toMillis()));
            agent.scheduler.start(Duration.ofMillis(first));
            LOG.fine(() -> "node agent on " + n + ": PodResources at " + agent.kubelet);
            return agent;
        });
    }

    /** Whether {@code node} runs an agent. */
    boolean runsOn(String node) {
        return agents.containsKey(node);
    }

    /** A pod of {@code node} or the node itself changed: the node's agent passes soon (its informers would see it). */
    void changed(String node) {
        Agent agent = node == null ? null : agents.get(node);
        if (agent != null) {
            agent.scheduler.passSoon();
        }
    }

    /** Stops the agent of a node that is gone. */
    void stop(String node) {
        Agent agent = agents.remove(node);
        if (agent != null) {
            agent.close();
        }
    }

    @Override
    public void close() {
        List.copyOf(agents.keySet()).forEach(this::stop);
        passes.shutdownNow();
        serverBoss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        serverWorkers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        clients.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socketDir);
        } catch (IOException e) {
            // a socket left behind: the temporary directory stays
        }
    }
}
