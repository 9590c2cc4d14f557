package dev.quartet.sim;

import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The kubelet (with the device plugin's Allocate) of the simulated nodes: admits pods the real scheduler bound,
 * hands each requested {@code nvidia.com/*} resource a concrete device, reports Running/Ready, and finishes
 * terminating pods. As a real kubelet, it writes nothing about the devices on the pod: it answers PodResources
 * ({@link #podResources}), and the node's agent ({@link SimulatedNodeAgents}) annotates the pod. Runs on the
 * simulator's event loop only.
 */
final class SimulatedKubelet {

    private static final Logger LOG = Logger.getLogger(SimulatedKubelet.class.getName());
    private static final AtomicInteger POD_IPS = new AtomicInteger();
    /** The kubelet's crash-loop back-off: 10 s, doubling, at most 5 min (pkg/kubelet/kubelet.go). */
    private static final Duration BACK_OFF_INITIAL = Duration.ofSeconds(10);

    private static final Duration BACK_OFF_MAX = Duration.ofMinutes(5);

    /**
     * What the kubelet remembers of a pod it runs: its container's restarts, how it last ended (the status'
     * lastState.terminated) and whether it waits in CrashLoopBackOff for its next start.
     *
     * @param podStartedAt       when the kubelet started the pod
     * @param containerStartedAt when its container last started
     */
    private record Running(
            Pod pod,
            String ip,
            String podStartedAt,
            String containerStartedAt,
            boolean ready,
            int restarts,
            Map<String, Object> lastTerminated,
            boolean backingOff) {
        Running(Pod pod, String ip, String podStartedAt, String containerStartedAt, boolean ready, int restarts) {
            this(pod, ip, podStartedAt, containerStartedAt, ready, restarts, null, false);
        }

        Running withReady(boolean r) {
            return new Running(pod, ip, podStartedAt, containerStartedAt, r, restarts, lastTerminated, backingOff);
        }

        /** The container ended as {@code terminated}; it waits for its restart. */
        Running ended(Map<String, Object> terminated) {
            return new Running(pod, ip, podStartedAt, containerStartedAt, false, restarts, terminated, true);
        }

        /**
         * The container started again, as Ready as it was: a simulated container is Ready at once; a worker's ended
         * (not Ready) until its probe says so.
         */
        Running restarted(String at) {
            return new Running(pod, ip, podStartedAt, at, ready, restarts + 1, lastTerminated, false);
        }
    }

    /** The kubelet's restart back-off: 10 s after the first exit, doubling, at most 5 minutes. */
    static Duration restartBackoff(int restarts) {
        return Duration.ofSeconds(Math.min(300, 10L << Math.min(5, restarts)));
    }

    private final KubernetesClient client;
    private final Map<String, SimulatedNode> nodes;
    private final WorkerProcesses workers;
    private final EventLoop loop;
    private final Consumer<DeletedPod> deletedWhileRunning;
    private final Consumer<DisruptedPod> disrupted;
    private final DevicePluginAllocator allocator;
    private final DraKubeletPlugin dra;
    private final Map<String, Running> running = new HashMap<>();
    private final Set<String> recordedDeletions = new HashSet<>();
    /** Pods this kubelet failed: done with, whatever an older copy in the informer's cache still says. */
    private final Set<String> failed = new HashSet<>();

    SimulatedKubelet(
            KubernetesClient client,
            Map<String, SimulatedNode> nodes,
            WorkerProcesses workers,
            EventLoop loop,
            Consumer<DeletedPod> deletedWhileRunning,
            Consumer<DisruptedPod> disrupted,
            DevicePluginAllocator allocator,
            DraKubeletPlugin dra) {
        this.client = client;
        this.dra = dra;
        this.allocator = allocator;
        this.nodes = nodes;
        this.workers = workers;
        this.loop = loop;
        this.deletedWhileRunning = deletedWhileRunning;
        this.disrupted = disrupted;
    }

    /** A pod was added or changed. */
    void onPod(Pod pod) {
        SimulatedNode node = nodeOf(pod);
        if (node == null) {
            return;
        }
        String uid = pod.getMetadata().getUid();
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            recordIfRunning(pod);
            if (!node.notReady) {
                finishTermination(pod, node);
            }
            return;
        }
        if (node.notReady || failed.contains(uid)) {
            return;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            release(node, uid);
            return;
        }
        SimulatedNode.Admitted admitted = node.admitted.get(uid);
        if (admitted == null) {
            admit(pod, node);
        } else if (!workers.isRunning(uid) && admitted.process() != processOf(pod)) {
            changeProcess(node, admitted, processOf(pod));
        }
    }

    /** A pod is gone from the API. */
    void onPodDeleted(Pod pod) {
        SimulatedNode node = nodeOf(pod);
        if (node != null) {
            recordIfRunning(pod);
            release(node, pod.getMetadata().getUid());
        }
        failed.remove(pod.getMetadata().getUid());
    }

    /** The simulated node the pod is bound to, or null (unbound, or another node). */
    private SimulatedNode nodeOf(Pod pod) {
        String name = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        return name == null ? null : nodes.get(name);
    }

    private static SimulatedNode.ContainerProcess processOf(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return SimulatedNode.ContainerProcess.of(
                annotations == null ? null : annotations.get(GpuNodeSimulator.PROCESS_ANNOTATION));
    }

    private static List<String> owners(Pod pod) {
        return pod.getMetadata().getOwnerReferences() == null
                ? List.of()
                : pod.getMetadata().getOwnerReferences().stream()
                        .map(o -> o.getKind() + "/" + o.getName())
                        .toList();
    }

    /**
     * The MIG devices the kubelet gave the pod, in the agent's annotation format (NodeAgentReport's MIG_DEVICE): the
     * simulator's own record of what a deleted or disrupted pod held, whether or not its agent annotated it yet.
     */
    private String migDevices(Pod pod) {
        SimulatedNode node = nodeOf(pod);
        SimulatedNode.Admitted admitted =
                node == null ? null : node.admitted.get(pod.getMetadata().getUid());
        if (admitted == null) {
            return null;
        }
        List<MigDevice> devices = admitted.grants().stream()
                .map(SimulatedNode.Grant::device)
                .filter(d -> d != null)
                .sorted(Comparator.comparingInt(MigDevice::gpu).thenComparingInt(MigDevice::start))
                .toList();
        if (devices.isEmpty()) {
            return null;
        }
        return devices.size() == 1
                ? devices.get(0).annotationJson()
                : "["
                        + String.join(
                                ",",
                                devices.stream().map(MigDevice::annotationJson).toList()) + "]";
    }

    /**
     * What the node's kubelet answers on PodResources {@code List}: every admitted pod with the device plugin's devices
     * it was allocated (by device id: a MIG device's UUID, a whole GPU's UUID), destroyed ones included, as the device
     * manager keeps them until the pod ends. DRA claims are not listed among the devices: the kubelet reports them as
     * dynamic resources, which the agent does not read.
     */
    List<SimulatedPodResources.PodDevices> podResources(SimulatedNode node) {
        List<SimulatedPodResources.PodDevices> pods = new ArrayList<>();
        for (SimulatedNode.Admitted a : node.admitted.values()) {
            Map<String, String> devices = new LinkedHashMap<>();
            a.grants().stream()
                    .filter(g -> g.resource().startsWith(NvidiaLabels.RESOURCE_DOMAIN))
                    .forEach(g -> devices.put(g.uuid(), g.resource()));
            if (devices.isEmpty()) {
                continue;
            }
            Running r = running.get(a.uid());
            String container = r == null
                    ? "main"
                    : r.pod().getSpec().getContainers().get(0).getName();
            pods.add(new SimulatedPodResources.PodDevices(a.namespace(), a.name(), container, devices));
        }
        return pods;
    }

    private void recordIfRunning(Pod pod) {
        boolean wasRunning =
                pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
        if (wasRunning && recordedDeletions.add(pod.getMetadata().getUid())) {
            deletedWhileRunning.accept(new DeletedPod(
                    pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(),
                    pod.getMetadata().getUid(),
                    pod.getSpec().getNodeName(),
                    pod.getMetadata().getLabels(),
                    owners(pod),
                    migDevices(pod),
                    Instant.now()));
        }
    }

    private void recordDisruption(Pod pod, DisruptedPod.Disruption disruption, String detail) {
        disrupted.accept(new DisruptedPod(
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                pod.getMetadata().getUid(),
                pod.getSpec().getNodeName(),
                pod.getMetadata().getLabels(),
                owners(pod),
                migDevices(pod),
                disruption,
                detail,
                Instant.now()));
    }

    private void admit(Pod pod, SimulatedNode node) {
        String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        Map<String, Integer> requests = deviceRequests(pod);
        List<SimulatedNode.Grant> grants;
        boolean restarted =
                pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
        try {
            if (node.dra) {
                grants = dra.prepare(pod, node);
            } else {
                grants = restarted ? reclaim(pod, node, requests) : allocate(node, requests);
            }
        } catch (DraKubeletPlugin.NotYet e) {
            // the kubelet waits for the claim; the next event or sync retries
            LOG.fine(() -> "node " + node.name + ": pod " + key + " waits: " + e.getMessage());
            dra.unprepare(node, pod.getMetadata().getUid());
            return;
        } catch (DraKubeletPlugin.PrepareFailed e) {
            // NodePrepareResources failed: the pod stays Pending, the kubelet retries at its next sync
            LOG.warning(() -> "node " + node.name + ": pod " + key + ": prepare failed: " + e.getMessage());
            dra.unprepare(node, pod.getMetadata().getUid());
            return;
        } catch (AdmissionException e) {
            LOG.warning(() -> "node " + node.name + ": pod " + key + " rejected: " + e.getMessage());
            fail(pod, "UnexpectedAdmissionError", e.getMessage());
            return;
        }
        String uid = pod.getMetadata().getUid();
        node.admitted.put(
                uid,
                new SimulatedNode.Admitted(
                        pod.getMetadata().getNamespace(), pod.getMetadata().getName(), uid, grants, processOf(pod)));
        // Until the pod is reported Running, any failure (a rejected patch, an unexpected exception or error) must undo
        // the admission: a pod left in node.admitted is skipped by every later event and sync, so it would stay
        // Pending.
        boolean started = false;
        WorkerProcesses.WorkerProcess worker = null;
        try {
            Map<String, String> annotations = new LinkedHashMap<>();
            if (workers.handles(pod)) {
                try {
                    worker = workers.start(
                            pod, grants.isEmpty() ? null : grants.get(0).uuid());
                    annotations.put(WorkerProcesses.WORKER_URL_ANNOTATION, worker.url());
                    annotations.put(WorkerProcesses.WORKER_GRPC_ANNOTATION, worker.grpcAddress());
                } catch (IOException e) {
                    fail(pod, "WorkerStartFailed", e.getMessage());
                    return;
                }
            }
            if (!annotations.isEmpty()) {
                patchPod(pod, Map.of("metadata", Map.of("annotations", annotations)), false);
            }
            SimulatedNode.ContainerProcess process = processOf(pod);
            boolean ready = worker == null && process != SimulatedNode.ContainerProcess.CRASH_LOOPING;
            String now = NodeApi.now();
            Running r = new Running(
                    pod, nextPodIp(), now, now, ready, process == SimulatedNode.ContainerProcess.CRASH_LOOPING ? 1 : 0);
            running.put(uid, r);
            patchPod(pod, Map.of("status", runningStatus(r, node.admitted.get(uid))), true);
            started = true;
            LOG.info(() -> "node " + node.name + ": pod " + key + " running"
                    + (grants.isEmpty()
                            ? ""
                            : " on "
                                    + grants.stream()
                                            .map(g -> g.device() == null
                                                    ? "gpu" + g.gpu()
                                                    : g.device().toString())
                                            .toList()));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.warning(() -> "node " + node.name + ": could not start pod " + key + " (retried on the next sync): "
                        + e.getMessage());
            }
            return;
        } finally {
            if (!started) {
                release(node, uid);
            }
        }
        if (worker != null) {
            WorkerProcesses.WorkerProcess w = worker;
            w.process().onExit().thenAccept(p -> loop.execute(() -> workerExited(node, pod, w, p.exitValue())));
            scheduleProbe(node, w, Duration.ofMillis(500));
        } else if (processOf(pod) == SimulatedNode.ContainerProcess.CRASH_LOOPING) {
            scheduleCrash(node, uid);
        }
    }

    /** Extended resources under {@code nvidia.com/} the pod asks for (limits, summed over its containers). */
    static Map<String, Integer> deviceRequests(Pod pod) {
        Map<String, Integer> requests = new TreeMap<>();
        for (Container c : pod.getSpec().getContainers()) {
            Map<String, Quantity> limits = new HashMap<>();
            if (c.getResources() != null && c.getResources().getRequests() != null) {
                limits.putAll(c.getResources().getRequests());
            }
            if (c.getResources() != null && c.getResources().getLimits() != null) {
                limits.putAll(c.getResources().getLimits());
            }
            limits.forEach((name, q) -> {
                if (name.startsWith(NvidiaLabels.RESOURCE_DOMAIN)) {
                    requests.merge(name, Quantity.getAmountInBytes(q).intValue(), Integer::sum);
                }
            });
        }
        return requests;
    }

    /** Signals a device request the node cannot satisfy. */
    private static final class AdmissionException extends Exception {
        AdmissionException(String message) {
            super(message);
        }
    }

    /** The kubelet's wording of a rejected allocation (pkg/kubelet/cm/admission/errors.go). */
    private static String unexpected(String cause) {
        return "Allocate failed due to " + cause + ", which is unexpected";
    }

    private List<SimulatedNode.Grant> allocate(SimulatedNode node, Map<String, Integer> requests)
            throws AdmissionException {
        if (!node.devicePluginUp && !requests.isEmpty()) {
            // devicemanager/manager.go devicesToAllocate, with the plugin disconnected or not registered yet
            String resource = requests.keySet().iterator().next();
            throw new AdmissionException(unexpected(
                    node.registeredResources.contains(resource)
                            ? "no healthy devices present; cannot allocate unhealthy devices " + resource
                            : "cannot allocate unregistered device " + resource));
        }
        Set<String> busy = new HashSet<>(node.busyUuids());
        List<SimulatedNode.Grant> grants = new ArrayList<>();
        for (Map.Entry<String, Integer> e : requests.entrySet()) {
            for (int i = 0; i < e.getValue(); i++) {
                SimulatedNode.Grant grant = grantOne(node, busy, e.getKey())
                        .orElseThrow(() -> new AdmissionException(
                                unexpected("requested number of devices unavailable for " + e.getKey() + ". Requested: "
                                        + e.getValue() + ", Available: " + available(node, e.getKey()))));
                busy.add(grant.uuid());
                grants.add(grant);
            }
        }
        return grants;
    }

    private Optional<SimulatedNode.Grant> grantOne(SimulatedNode node, Set<String> busy, String resource) {
        if (resource.equals(NvidiaLabels.FULL_GPU_RESOURCE)) {
            return allocator
                    .chooseFullGpu(node.gpus, busy)
                    .map(g -> new SimulatedNode.Grant(resource, g.index(), null, g.uuid(), false));
        }
        return node.model.profiles().stream()
                .filter(p -> p.resourceName().equals(resource))
                .findFirst()
                .flatMap(p -> allocator.chooseMig(node.gpus, busy, p))
                .map(d -> new SimulatedNode.Grant(resource, d.gpu(), d, d.uuid(), false));
    }

    private long available(SimulatedNode node, String resource) {
        Set<String> busy = node.busyUuids();
        if (resource.equals(NvidiaLabels.FULL_GPU_RESOURCE)) {
            return node.gpus.stream()
                    .filter(g -> !g.migEnabled() && !busy.contains(g.uuid()))
                    .count();
        }
        return node.gpus.stream()
                .flatMap(g -> g.devices().stream())
                .filter(d -> d.profile().resourceName().equals(resource) && !busy.contains(d.uuid()))
                .count();
    }

    /**
     * After a simulator restart: take back the devices a running pod held, if they still exist. The simulator keeps no
     * checkpoint as the kubelet's device manager does; the agent's annotation on the pod (of a simulator run before)
     * stands in for it.
     */
    private List<SimulatedNode.Grant> reclaim(Pod pod, SimulatedNode node, Map<String, Integer> requests)
            throws AdmissionException {
        Map<String, String> podAnnotations = pod.getMetadata().getAnnotations();
        String annotation = podAnnotations == null ? null : podAnnotations.get(NodeAgentReport.MIG_DEVICE);
        Set<String> busy = node.busyUuids();
        List<SimulatedNode.Grant> grants = new ArrayList<>();
        for (MigDevice d : node.gpus.stream().flatMap(g -> g.devices().stream()).toList()) {
            if (annotation != null && annotation.contains(d.uuid()) && !busy.contains(d.uuid())) {
                grants.add(new SimulatedNode.Grant(d.profile().resourceName(), d.gpu(), d, d.uuid(), false));
            }
        }
        if (grants.size()
                != requests.values().stream().mapToInt(Integer::intValue).sum()) {
            throw new AdmissionException("the MIG devices this running pod held no longer exist on the node");
        }
        return grants;
    }

    private void finishTermination(Pod pod, SimulatedNode node) {
        release(node, pod.getMetadata().getUid());
        try {
            client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .withGracePeriod(0)
                    .delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** Frees the pod's devices and stops its worker process, if any. */
    void release(SimulatedNode node, String uid) {
        workers.stop(uid);
        running.remove(uid);
        SimulatedNode.Admitted a = node.admitted.remove(uid);
        if (node.dra) {
            dra.unprepare(node, uid);
        }
        if (a != null && !a.grants().isEmpty()) {
            LOG.fine(() -> "node " + node.name + ": freed devices of " + a.key());
        }
    }

    /**
     * Who runs a process on each device of the node, as NVML would list it: a worker-process pod while its process
     * runs; a simulated container while it runs and is not marked {@code none} or {@code crash-looping}. Stale grants
     * name no device that exists.
     */
    Map<String, String> processes(SimulatedNode node) {
        Map<String, String> result = new LinkedHashMap<>();
        for (SimulatedNode.Admitted a : node.admitted.values()) {
            boolean process = workers.isRunning(a.uid())
                    || (running.containsKey(a.uid()) && a.process() == SimulatedNode.ContainerProcess.RUNNING);
            if (process) {
                a.grants().stream().filter(g -> !g.stale()).forEach(g -> result.put(g.uuid(), "pod " + a.key()));
            }
        }
        return result;
    }

    /** Who holds each device of the node (with or without a process on it). */
    Map<String, String> held(SimulatedNode node) {
        Map<String, String> result = new LinkedHashMap<>();
        node.admitted
                .values()
                .forEach(a -> a.grants().stream()
                        .filter(g -> !g.stale())
                        .forEach(g -> result.put(g.uuid(), "pod " + a.key())));
        return result;
    }

    /**
     * These devices were destroyed under the pods holding them. As on a real node the pods keep running and the kubelet
     * reports nothing (the device manager has no device to check them against; pkg/kubelet/cm/devicemanager/
     * manager.go {@code UpdateAllocatedResourcesStatus} reports a device it no longer knows as healthy): the
     * container keeps the device node it was started with, which now leads nowhere, until it restarts, and a restart
     * fails (NVIDIA's container runtime cannot find the device). The grant stays with the pod, marked stale, so the
     * freed scheduler capacity is still counted against it, as the scheduler does.
     */
    void devicesDestroyed(SimulatedNode node, Set<String> uuids) {
        for (SimulatedNode.Admitted a : List.copyOf(node.admitted.values())) {
            List<String> lost = a.grants().stream()
                    .filter(g -> !g.stale() && uuids.contains(g.uuid()))
                    .map(SimulatedNode.Grant::uuid)
                    .toList();
            if (lost.isEmpty()) {
                continue;
            }
            List<SimulatedNode.Grant> grants = a.grants().stream()
                    .map(g -> uuids.contains(g.uuid()) ? g.destroyed() : g)
                    .toList();
            node.admitted.put(a.uid(), a.with(grants, a.process()));
            Running r = running.get(a.uid());
            if (r != null) {
                recordDisruption(r.pod(), DisruptedPod.Disruption.DEVICE_DESTROYED, String.join(",", lost));
            }
            LOG.warning(() -> "node " + node.name + ": pod " + a.key() + " had no process on " + lost
                    + ", destroyed under it; it keeps running with a stale device");
        }
    }

    /** A marked pod changed what its container runs (test annotation {@code sim.quartet.dev/process}). */
    private void changeProcess(
            SimulatedNode node, SimulatedNode.Admitted admitted, SimulatedNode.ContainerProcess process) {
        node.admitted.put(admitted.uid(), admitted.with(admitted.grants(), process));
        Running r = running.get(admitted.uid());
        if (r == null) {
            return;
        }
        boolean crashing = process == SimulatedNode.ContainerProcess.CRASH_LOOPING;
        Running updated = crashing ? r.restarted(NodeApi.now()).withReady(false) : r.withReady(true);
        running.put(admitted.uid(), updated);
        patchStatusQuietly(node, updated);
        LOG.info(() -> "node " + node.name + ": pod " + admitted.key() + " container now " + process);
        if (crashing) {
            scheduleCrash(node, admitted.uid());
        }
    }

    /** The next crash of a crash-looping container, after the kubelet's back-off. */
    private void scheduleCrash(SimulatedNode node, String uid) {
        Running r = running.get(uid);
        if (r == null) {
            return;
        }
        long factor = 1L << Math.min(Math.max(r.restarts() - 1, 0), 10);
        Duration backOff = BACK_OFF_INITIAL.multipliedBy(factor);
        loop.schedule(
                () -> {
                    SimulatedNode.Admitted a = node.admitted.get(uid);
                    Running now = running.get(uid);
                    if (a == null
                            || now == null
                            || node.notReady
                            || a.process() != SimulatedNode.ContainerProcess.CRASH_LOOPING) {
                        return;
                    }
                    Running crashed = now.restarted(NodeApi.now());
                    running.put(uid, crashed);
                    patchStatusQuietly(node, crashed);
                    scheduleCrash(node, uid);
                },
                backOff.compareTo(BACK_OFF_MAX) > 0 ? BACK_OFF_MAX : backOff);
    }

    private void patchStatusQuietly(SimulatedNode node, Running r) {
        try {
            patchPod(
                    r.pod(),
                    Map.of(
                            "status",
                            runningStatus(
                                    r, node.admitted.get(r.pod().getMetadata().getUid()))),
                    true);
        } catch (KubernetesClientException e) {
            LOG.fine(() -> "pod " + r.pod().getMetadata().getName() + " gone: " + e.getMessage());
        }
    }

    /**
     * The node goes down (MIG Manager rebooted it): every container ends, worker processes too. The pods stay bound to
     * the node; the kubelet deals with them when it is back ({@link #afterReboot}).
     */
    void nodeDown(SimulatedNode node) {
        for (SimulatedNode.Admitted a : List.copyOf(node.admitted.values())) {
            Running r = running.get(a.uid());
            if (r != null) {
                recordDisruption(r.pod(), DisruptedPod.Disruption.NODE_REBOOTED, "node rebooted by MIG Manager");
            }
            if (workers.isRunning(a.uid()) && a.grants().isEmpty()) {
                // admitted afresh at boot, with a new worker process
                release(node, a.uid());
            } else {
                workers.stop(a.uid());
            }
        }
    }

    /**
     * The node is up again. The kubelet admits every pod bound to it anew (kubelet.go {@code HandlePodAdditions}). A pod
     * with device-plugin resources fails: after a reboot no container runs, so the device manager must allocate, and the
     * plugin has not registered yet ({@code devicesToAllocate}, scenario 3 "node reboot"; kubernetes/kubernetes#118559):
     * phase Failed, reason {@code UnexpectedAdmissionError}; its owner must replace it. Other pods are kept and their
     * containers restarted (restart count + 1).
     */
    void afterReboot(SimulatedNode node, List<Pod> pods) {
        for (SimulatedNode.Admitted a : List.copyOf(node.admitted.values())) {
            Running r = running.get(a.uid());
            if (r == null) {
                continue;
            }
            if (!a.grants().isEmpty()) {
                String resource = a.grants().get(0).resource();
                release(node, a.uid());
                fail(
                        r.pod(),
                        "UnexpectedAdmissionError",
                        unexpected("no healthy devices present; cannot allocate unhealthy devices " + resource));
                LOG.info(() -> "node " + node.name + ": pod " + a.key() + " failed admission after the reboot");
                continue;
            }
            Running restarted = r.restarted(NodeApi.now());
            running.put(a.uid(), restarted);
            patchStatusQuietly(node, restarted);
        }
        resync(node, pods);
    }

    private void scheduleProbe(SimulatedNode node, WorkerProcesses.WorkerProcess w, Duration after) {
        loop.schedule(
                () -> {
                    if (!workers.isCurrent(w)) {
                        return;
                    }
                    workers.probeReady(w).thenAccept(ok -> loop.execute(() -> onProbe(node, w, ok)));
                },
                after);
    }

    private void onProbe(SimulatedNode node, WorkerProcesses.WorkerProcess w, boolean ok) {
        Running r = running.get(w.podUid());
        if (r == null || !workers.isCurrent(w)) {
            return;
        }
        if (ok != r.ready() && !node.notReady) {
            Running updated = r.withReady(ok);
            running.put(w.podUid(), updated);
            try {
                patchPod(r.pod(), Map.of("status", runningStatus(updated, node.admitted.get(w.podUid()))), true);
                LOG.info(() -> "pod " + w.pod() + " worker " + (ok ? "ready" : "not ready") + " at " + w.url());
            } catch (KubernetesClientException e) {
                LOG.fine(() -> "pod " + w.pod() + " gone while probing: " + e.getMessage());
            }
        }
        scheduleProbe(node, w, ok ? Duration.ofSeconds(5) : Duration.ofMillis(500));
    }

    /**
     * A worker process ended by itself. As the kubelet does for a container of a pod whose restartPolicy is Always
     * (the default) or OnFailure after a failure: the pod stays Running but not Ready, its container status records
     * how it ended (exit code, and the termination message it wrote or, for FallbackToLogsOnError, its log's end) and
     * waits in CrashLoopBackOff, then the worker is started again, keeping its devices. With restartPolicy Never (or
     * OnFailure after a clean exit) the pod fails.
     */
    private void workerExited(SimulatedNode node, Pod pod, WorkerProcesses.WorkerProcess w, int exitCode) {
        if (!workers.isCurrent(w)) {
            return; // stopped by us
        }
        String uid = pod.getMetadata().getUid();
        String policy = pod.getSpec().getRestartPolicy() == null
                ? "Always"
                : pod.getSpec().getRestartPolicy();
        Running r = running.get(uid);
        if (r == null || "Never".equals(policy) || ("OnFailure".equals(policy) && exitCode == 0)) {
            release(node, uid);
            fail(pod, "Error", "worker process exited with code " + exitCode + "; see " + w.log());
            return;
        }
        Container container = pod.getSpec().getContainers().get(0);
        Map<String, Object> terminated = new LinkedHashMap<>();
        terminated.put("exitCode", exitCode);
        terminated.put("reason", exitCode == 0 ? "Completed" : "Error");
        String message = workers.terminationMessage(w, container, exitCode);
        if (!message.isEmpty()) {
            terminated.put("message", message);
        }
        terminated.put("startedAt", r.containerStartedAt());
        terminated.put("finishedAt", NodeApi.now());
        terminated.put("containerID", "sim://" + uid + "/" + container.getName());
        workers.exited(uid);
        Running ended = r.ended(terminated);
        running.put(uid, ended);
        Duration backoff = restartBackoff(r.restarts());
        try {
            patchPod(r.pod(), Map.of("status", runningStatus(ended, node.admitted.get(uid))), true);
        } catch (KubernetesClientException e) {
            LOG.fine(() -> "pod " + w.pod() + " gone after its worker exited: " + e.getMessage());
        }
        LOG.info(() -> "pod " + w.pod() + ": worker exited with code " + exitCode + "; restarting it in "
                + backoff.toSeconds() + " s (restart " + (r.restarts() + 1) + ")");
        loop.schedule(() -> restartWorker(node, uid), backoff);
    }

    /** Starts the worker of a pod whose worker exited, unless the pod is gone or its node down meanwhile. */
    private void restartWorker(SimulatedNode node, String uid) {
        Running r = running.get(uid);
        SimulatedNode.Admitted admitted = node.admitted.get(uid);
        if (r == null || admitted == null || !r.backingOff() || node.notReady || workers.isRunning(uid)) {
            return;
        }
        WorkerProcesses.WorkerProcess w;
        try {
            w = workers.start(
                    r.pod(),
                    admitted.grants().isEmpty()
                            ? null
                            : admitted.grants().get(0).uuid());
        } catch (IOException e) {
            release(node, uid);
            fail(r.pod(), "WorkerStartFailed", e.getMessage());
            return;
        }
        Running restarted = r.restarted(NodeApi.now());
        running.put(uid, restarted);
        try {
            patchPod(
                    r.pod(),
                    Map.of(
                            "metadata",
                            Map.of(
                                    "annotations",
                                    Map.of(
                                            WorkerProcesses.WORKER_URL_ANNOTATION, w.url(),
                                            WorkerProcesses.WORKER_GRPC_ANNOTATION, w.grpcAddress()))),
                    false);
            patchPod(r.pod(), Map.of("status", runningStatus(restarted, node.admitted.get(uid))), true);
        } catch (KubernetesClientException e) {
            LOG.fine(() -> "pod " + w.pod() + " gone while restarting its worker: " + e.getMessage());
        }
        w.process().onExit().thenAccept(p -> loop.execute(() -> workerExited(node, r.pod(), w, p.exitValue())));
        scheduleProbe(node, w, Duration.ofMillis(500));
    }

    private void fail(Pod pod, String reason, String message) {
        failed.add(pod.getMetadata().getUid());
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", "Failed");
        status.put("reason", reason);
        status.put("message", message);
        status.put(
                "conditions",
                List.of(condition("PodScheduled", true, NodeApi.now()), condition("Ready", false, NodeApi.now())));
        try {
            patchPod(pod, Map.of("status", status), true);
        } catch (KubernetesClientException e) {
            LOG.fine(() -> "could not mark pod failed: " + e.getMessage());
        }
    }

    private Map<String, Object> runningStatus(Running r, SimulatedNode.Admitted admitted) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", "Running");
        status.put("hostIP", "127.0.0.1");
        status.put("podIP", r.ip());
        status.put("podIPs", List.of(Map.of("ip", r.ip())));
        status.put("startTime", r.podStartedAt());
        status.put(
                "conditions",
                List.of(
                        condition("Initialized", true, r.podStartedAt()),
                        condition("Ready", r.ready(), NodeApi.now()),
                        condition("ContainersReady", r.ready(), NodeApi.now()),
                        condition("PodScheduled", true, r.podStartedAt())));
        boolean crashing = admitted != null && admitted.process() == SimulatedNode.ContainerProcess.CRASH_LOOPING;
        List<Map<String, Object>> containers = new ArrayList<>();
        for (Container c : r.pod().getSpec().getContainers()) {
            Map<String, Object> cs = new LinkedHashMap<>();
            cs.put("name", c.getName());
            cs.put("image", c.getImage());
            cs.put("imageID", "sim://" + c.getImage());
            cs.put("containerID", "sim://" + r.pod().getMetadata().getUid() + "/" + c.getName());
            cs.put("ready", r.ready());
            cs.put("started", !crashing && !r.backingOff());
            cs.put("restartCount", r.restarts());
            if (crashing) {
                cs.put(
                        "state",
                        Map.of(
                                "waiting",
                                Map.of(
                                        "reason",
                                        "CrashLoopBackOff",
                                        "message",
                                        "back-off restarting " + "failed container=" + c.getName() + " pod="
                                                + r.pod().getMetadata().getName())));
                cs.put("lastState", Map.of("terminated", lastTermination(r, admitted)));
            } else if (r.backingOff()) {
                cs.put(
                        "state",
                        Map.of(
                                "waiting",
                                Map.of(
                                        "reason",
                                        "CrashLoopBackOff",
                                        "message",
                                        "back-off "
                                                + restartBackoff(r.restarts()).toSeconds()
                                                + "s restarting failed container=" + c.getName() + " pod="
                                                + r.pod().getMetadata().getName())));
            } else {
                cs.put("state", Map.of("running", Map.of("startedAt", r.containerStartedAt())));
            }
            if (!crashing && r.lastTerminated() != null) {
                cs.put("lastState", Map.of("terminated", r.lastTerminated()));
            }
            containers.add(cs);
        }
        status.put("containerStatuses", containers);
        return status;
    }

    /**
     * How a crash-looping container last ended: its process failed, or, once its device was destroyed, NVIDIA's
     * container runtime could not find the device when the container was created again.
     */
    private static Map<String, Object> lastTermination(Running r, SimulatedNode.Admitted admitted) {
        Optional<SimulatedNode.Grant> stale =
                admitted.grants().stream().filter(SimulatedNode.Grant::stale).findFirst();
        Map<String, Object> t = new LinkedHashMap<>();
        if (stale.isPresent()) {
            t.put("exitCode", 128);
            t.put("reason", "StartError");
            t.put(
                    "message",
                    "failed to create containerd task: OCI runtime create failed: nvidia-container-cli: "
                            + "device error: " + stale.get().uuid() + ": unknown device");
        } else {
            t.put("exitCode", 1);
            t.put("reason", "Error");
        }
        t.put("startedAt", r.containerStartedAt());
        t.put("finishedAt", r.containerStartedAt());
        return t;
    }

    private static Map<String, Object> condition(String type, boolean status, String time) {
        return Map.of(
                "type", type, "status", status ? "True" : "False", "lastProbeTime", time, "lastTransitionTime", time);
    }

    private void patchPod(Pod pod, Map<String, Object> body, boolean status) {
        var resource = client.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName());
        String json = Json.write(body);
        if (status) {
            resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), json);
        } else {
            resource.patch(PatchContext.of(PatchType.JSON_MERGE), json);
        }
    }

    private static String nextPodIp() {
        int n = POD_IPS.getAndIncrement() % (250 * 250);
        return "10.244." + (n / 250) + "." + (n % 250 + 2);
    }

    /** Called for every pod of a node when it becomes Ready again: catch up with what happened meanwhile. */
    void resync(SimulatedNode node, List<Pod> pods) {
        pods.stream().filter(p -> node.name.equals(p.getSpec().getNodeName())).forEach(this::onPod);
    }

    /** Forgets a node's pods (node removed); stops their workers. */
    void forget(SimulatedNode node) {
        new ArrayList<>(node.admitted.keySet()).forEach(uid -> release(node, uid));
    }
}
