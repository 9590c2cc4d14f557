package dev.quartet.sim;

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
 * hands each requested {@code nvidia.com/*} resource a concrete device, records it on the pod, reports
 * Running/Ready, and finishes terminating pods. Runs on the simulator's event loop only.
 */
final class SimulatedKubelet {

    static final String MIG_DEVICE_ANNOTATION = "quartet.dev/mig-device";
    private static final Logger LOG = Logger.getLogger(SimulatedKubelet.class.getName());
    private static final AtomicInteger POD_IPS = new AtomicInteger();

    /** What the kubelet remembers of a pod it runs. */
    private record Running(Pod pod, String ip, String startedAt, boolean ready) {
        Running withReady(boolean r) {
            return new Running(pod, ip, startedAt, r);
        }
    }

    private final KubernetesClient client;
    private final Map<String, SimulatedNode> nodes;
    private final WorkerProcesses workers;
    private final EventLoop loop;
    private final Consumer<DeletedPod> deletedWhileRunning;
    private final DevicePluginAllocator allocator;
    private final Map<String, Running> running = new HashMap<>();
    private final Set<String> recordedDeletions = new HashSet<>();

    SimulatedKubelet(
            KubernetesClient client,
            Map<String, SimulatedNode> nodes,
            WorkerProcesses workers,
            EventLoop loop,
            Consumer<DeletedPod> deletedWhileRunning,
            DevicePluginAllocator allocator) {
        this.client = client;
        this.allocator = allocator;
        this.nodes = nodes;
        this.workers = workers;
        this.loop = loop;
        this.deletedWhileRunning = deletedWhileRunning;
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
        if (node.notReady) {
            return;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            release(node, uid);
            return;
        }
        if (!node.admitted.containsKey(uid)) {
            admit(pod, node);
        }
    }

    /** A pod is gone from the API. */
    void onPodDeleted(Pod pod) {
        SimulatedNode node = nodeOf(pod);
        if (node != null) {
            recordIfRunning(pod);
            release(node, pod.getMetadata().getUid());
        }
    }

    /** The simulated node the pod is bound to, or null (unbound, or another node). */
    private SimulatedNode nodeOf(Pod pod) {
        String name = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        return name == null ? null : nodes.get(name);
    }

    private void recordIfRunning(Pod pod) {
        boolean wasRunning =
                pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
        if (wasRunning && recordedDeletions.add(pod.getMetadata().getUid())) {
            List<String> owners = pod.getMetadata().getOwnerReferences() == null
                    ? List.of()
                    : pod.getMetadata().getOwnerReferences().stream()
                            .map(o -> o.getKind() + "/" + o.getName())
                            .toList();
            Map<String, String> annotations = pod.getMetadata().getAnnotations();
            deletedWhileRunning.accept(new DeletedPod(
                    pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(),
                    pod.getMetadata().getUid(),
                    pod.getSpec().getNodeName(),
                    pod.getMetadata().getLabels(),
                    owners,
                    annotations == null ? null : annotations.get(MIG_DEVICE_ANNOTATION),
                    Instant.now()));
        }
    }

    private void admit(Pod pod, SimulatedNode node) {
        String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        Map<String, Integer> requests = deviceRequests(pod);
        List<SimulatedNode.Grant> grants;
        boolean restarted =
                pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
        try {
            grants = restarted ? reclaim(pod, node, requests) : allocate(node, requests);
        } catch (AdmissionException e) {
            LOG.warning(() -> "node " + node.name + ": pod " + key + " rejected: " + e.getMessage());
            fail(pod, "UnexpectedAdmissionError", e.getMessage());
            return;
        }
        String uid = pod.getMetadata().getUid();
        node.admitted.put(
                uid,
                new SimulatedNode.Admitted(
                        pod.getMetadata().getNamespace(), pod.getMetadata().getName(), uid, grants));
        // Until the pod is reported Running, any failure (a rejected patch, an unexpected exception or error) must undo
        // the admission: a pod left in node.admitted is skipped by every later event and sync, so it would stay
        // Pending.
        boolean started = false;
        WorkerProcesses.WorkerProcess worker = null;
        try {
            Map<String, String> annotations = new LinkedHashMap<>();
            List<MigDevice> migDevices = grants.stream()
                    .map(SimulatedNode.Grant::device)
                    .filter(d -> d != null)
                    .toList();
            if (!migDevices.isEmpty()) {
                annotations.put(
                        MIG_DEVICE_ANNOTATION,
                        migDevices.size() == 1
                                ? migDevices.get(0).annotationJson()
                                : "["
                                        + String.join(
                                                ",",
                                                migDevices.stream()
                                                        .map(MigDevice::annotationJson)
                                                        .toList()) + "]");
            }
            if (workers.handles(pod)) {
                try {
                    worker = workers.start(
                            pod, grants.isEmpty() ? null : grants.get(0).uuid());
                    annotations.put(WorkerProcesses.WORKER_URL_ANNOTATION, worker.url());
                } catch (IOException e) {
                    fail(pod, "WorkerStartFailed", e.getMessage());
                    return;
                }
            }
            if (!annotations.isEmpty()) {
                patchPod(pod, Map.of("metadata", Map.of("annotations", annotations)), false);
            }
            Running r = new Running(pod, nextPodIp(), NodeApi.now(), worker == null);
            running.put(uid, r);
            patchPod(pod, Map.of("status", runningStatus(r)), true);
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

    private List<SimulatedNode.Grant> allocate(SimulatedNode node, Map<String, Integer> requests)
            throws AdmissionException {
        Set<String> busy = new HashSet<>(node.busyUuids());
        List<SimulatedNode.Grant> grants = new ArrayList<>();
        for (Map.Entry<String, Integer> e : requests.entrySet()) {
            for (int i = 0; i < e.getValue(); i++) {
                SimulatedNode.Grant grant = grantOne(node, busy, e.getKey())
                        .orElseThrow(() -> new AdmissionException("Allocate failed due to requested number of devices "
                                + "unavailable for " + e.getKey() + ". Requested: " + e.getValue() + ", Available: "
                                + available(node, e.getKey()) + ", which is unexpected"));
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
                    .map(g -> new SimulatedNode.Grant(resource, g.index(), null, g.uuid()));
        }
        return node.model.profiles().stream()
                .filter(p -> p.resourceName().equals(resource))
                .findFirst()
                .flatMap(p -> allocator.chooseMig(node.gpus, busy, p))
                .map(d -> new SimulatedNode.Grant(resource, d.gpu(), d, d.uuid()));
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

    /** After a simulator restart: take back the devices a running pod's annotation names, if they still exist. */
    private List<SimulatedNode.Grant> reclaim(Pod pod, SimulatedNode node, Map<String, Integer> requests)
            throws AdmissionException {
        String annotation = pod.getMetadata().getAnnotations() == null
                ? null
                : pod.getMetadata().getAnnotations().get(MIG_DEVICE_ANNOTATION);
        Set<String> busy = node.busyUuids();
        List<SimulatedNode.Grant> grants = new ArrayList<>();
        for (MigDevice d : node.gpus.stream().flatMap(g -> g.devices().stream()).toList()) {
            if (annotation != null && annotation.contains(d.uuid()) && !busy.contains(d.uuid())) {
                grants.add(new SimulatedNode.Grant(d.profile().resourceName(), d.gpu(), d, d.uuid()));
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
        if (a != null && !a.grants().isEmpty()) {
            LOG.fine(() -> "node " + node.name + ": freed devices of " + a.key());
        }
    }

    private void scheduleProbe(SimulatedNode node, WorkerProcesses.WorkerProcess w, Duration after) {
        loop.schedule(
                () -> {
                    if (!workers.isRunning(w.podUid())) {
                        return;
                    }
                    workers.probeReady(w).thenAccept(ok -> loop.execute(() -> onProbe(node, w, ok)));
                },
                after);
    }

    private void onProbe(SimulatedNode node, WorkerProcesses.WorkerProcess w, boolean ok) {
        Running r = running.get(w.podUid());
        if (r == null || !workers.isRunning(w.podUid())) {
            return;
        }
        if (ok != r.ready() && !node.notReady) {
            Running updated = r.withReady(ok);
            running.put(w.podUid(), updated);
            try {
                patchPod(r.pod(), Map.of("status", runningStatus(updated)), true);
                LOG.info(() -> "pod " + w.pod() + " worker " + (ok ? "ready" : "not ready") + " at " + w.url());
            } catch (KubernetesClientException e) {
                LOG.fine(() -> "pod " + w.pod() + " gone while probing: " + e.getMessage());
            }
        }
        scheduleProbe(node, w, ok ? Duration.ofSeconds(5) : Duration.ofMillis(500));
    }

    private void workerExited(SimulatedNode node, Pod pod, WorkerProcesses.WorkerProcess w, int exitCode) {
        if (!workers.isRunning(w.podUid())) {
            return; // stopped by us
        }
        release(node, pod.getMetadata().getUid());
        fail(pod, "Error", "worker process exited with code " + exitCode + "; see " + w.log());
    }

    private void fail(Pod pod, String reason, String message) {
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

    private Map<String, Object> runningStatus(Running r) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", "Running");
        status.put("hostIP", "127.0.0.1");
        status.put("podIP", r.ip());
        status.put("podIPs", List.of(Map.of("ip", r.ip())));
        status.put("startTime", r.startedAt());
        status.put(
                "conditions",
                List.of(
                        condition("Initialized", true, r.startedAt()),
                        condition("Ready", r.ready(), NodeApi.now()),
                        condition("ContainersReady", r.ready(), NodeApi.now()),
                        condition("PodScheduled", true, r.startedAt())));
        List<Map<String, Object>> containers = new ArrayList<>();
        for (Container c : r.pod().getSpec().getContainers()) {
            Map<String, Object> cs = new LinkedHashMap<>();
            cs.put("name", c.getName());
            cs.put("image", c.getImage());
            cs.put("imageID", "sim://" + c.getImage());
            cs.put("containerID", "sim://" + r.pod().getMetadata().getUid() + "/" + c.getName());
            cs.put("ready", r.ready());
            cs.put("started", true);
            cs.put("restartCount", 0);
            cs.put("state", Map.of("running", Map.of("startedAt", r.startedAt())));
            containers.add(cs);
        }
        status.put("containerStatuses", containers);
        return status;
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
