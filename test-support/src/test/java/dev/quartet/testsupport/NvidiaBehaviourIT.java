package dev.quartet.testsupport;

import static dev.quartet.testsupport.ClusterAssertions.allocatable;
import static dev.quartet.testsupport.ClusterAssertions.eventually;
import static dev.quartet.testsupport.ClusterAssertions.label;
import static dev.quartet.testsupport.ClusterAssertions.readyStatus;
import static dev.quartet.testsupport.ClusterAssertions.selectConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.sim.DevicePluginAllocator;
import dev.quartet.sim.DisruptedPod;
import dev.quartet.sim.GpuHardware;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.sim.GpuSnapshot;
import dev.quartet.sim.MigDevice;
import dev.quartet.sim.MigLayout;
import dev.quartet.sim.Strictness;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulator's behaviours of issue 17 that make it as strict as NVIDIA's stack and the kubelet, against the real API
 * server, scheduler and controllers. They are all on by default; a test that asserts one behaviour's exact sequence of
 * states (or which GPU a pod gets) starts from {@link Strictness#gentle()} and turns that one on, so that the others (a
 * ConfigMap lag, a random device, the operand shutdown) do not blur it. Their combination is what every other test
 * runs on, the operator's ITs included (NvidiaStackIT: Quartet coping with each of them).
 */
@WithLocalCluster
class NvidiaBehaviourIT {

    private static String ns;
    private final LocalCluster cluster;
    private final KubernetesClient client;

    NvidiaBehaviourIT(LocalCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @BeforeAll
    static void createNamespace(LocalCluster cluster) {
        ns = cluster.createNamespace("it-strict");
    }

    @AfterAll
    static void deleteNamespace(LocalCluster cluster) {
        cluster.deleteNamespace(ns);
    }

    private Pod get(String name) {
        return client.pods().inNamespace(ns).withName(name).get();
    }

    private Pod runPod(String name, String node, String profile) {
        client.pods()
                .inNamespace(ns)
                .resource(TestPods.slicePod(ns, name, node, profile))
                .create();
        eventually().until(() -> TestPods.isRunningReadyAndReported(get(name)));
        return get(name);
    }

    private void deletePodAndWait(String name) {
        client.pods().inNamespace(ns).withName(name).delete();
        eventually().until(() -> get(name) == null);
    }

    /** The starts a random allocator of {@code seed} hands out, one by one, on one GPU of four 1g.6gb. */
    private static List<Integer> startsFor(long seed, int pods) {
        List<GpuHardware> gpu = List.of(GpuHardware.of(
                "any",
                0,
                GpuModel.A30,
                true,
                MigLayout.parse("4x1g.6gb").placeOn(GpuModel.A30).instances()));
        DevicePluginAllocator allocator = new DevicePluginAllocator(Strictness.DeviceChoice.RANDOM, seed);
        Set<String> busy = new HashSet<>();
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            MigDevice d = allocator
                    .chooseMig(gpu, busy, GpuModel.A30.requireProfile("1g.6gb"))
                    .orElseThrow();
            busy.add(d.uuid());
            starts.add(d.start());
        }
        return starts;
    }

    @Test
    void theKubeletPicksAnyFreeDeviceAtRandomFromTheLoggedSeedNotTheLeastBusyGpu() {
        // a seed whose two first picks strand slots 0 and 3 (1 and 2 taken): no 2g.12gb fits any more, which the
        // least-busy rule (0 then 1) never does
        long seed = LongStream.range(0, 1000)
                .filter(s -> new HashSet<>(startsFor(s, 2)).equals(Set.of(1, 2)))
                .findFirst()
                .orElseThrow();
        for (int run = 1; run <= 2; run++) {
            try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withGpusPerNode(1)
                    .withLayout("4x1g.6gb")
                    .withDeviceChoice(Strictness.DeviceChoice.RANDOM, seed))) {
                String node = sim.nodeNames().get(0);
                List<Integer> starts = new ArrayList<>();
                for (int i = 1; i <= 2; i++) {
                    Pod pod = runPod(node + "-p" + i, node, "1g.6gb");
                    starts.add(TestPods.migDevice(pod).orElseThrow().start());
                }
                assertThat(starts).as("run %d with seed %d", run, seed).isEqualTo(startsFor(seed, 2));
                assertThat(sim.layoutOf(node).get(0).slices())
                        .filteredOn(s -> s.pod() != null)
                        .extracting(s -> s.start())
                        .containsExactlyInAnyOrder(1, 2);
                for (int i = 1; i <= 2; i++) {
                    deletePodAndWait(node + "-p" + i);
                }
            }
        }
    }

    private static final String PAUSED = "paused-for-mig-change";
    private static final List<String> OPERANDS = List.of(
            "nvidia.com/gpu.deploy.device-plugin",
            "nvidia.com/gpu.deploy.gpu-feature-discovery",
            "nvidia.com/gpu.deploy.dcgm-exporter",
            "nvidia.com/gpu.deploy.dcgm",
            "nvidia.com/gpu.deploy.nvsm");

    private static String state(KubernetesClient client, String node) {
        return label(client, node, "nvidia.com/mig.config.state");
    }

    /** Marks what the pod's simulated container runs (simulator-only annotation, docs/contracts.md). */
    private void markProcess(String pod, String process) {
        client.pods()
                .inNamespace(ns)
                .withName(pod)
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"" + GpuNodeSimulator.PROCESS_ANNOTATION + "\":\"" + process
                                + "\"}}}");
    }

    /** A pod bound straight to the node, past the scheduler's fit check (as a pod bound just before a change is). */
    private Pod bindPastScheduler(String name, String node, String profile) {
        Pod pod = TestPods.slicePod(ns, name, node, profile);
        pod.getSpec().setNodeName(node);
        client.pods().inNamespace(ns).resource(pod).create();
        eventually()
                .until(() ->
                        "Failed".equals(get(name).getStatus().getPhase()) || TestPods.isRunningAndReady(get(name)));
        return get(name);
    }

    /** Selects {@code config} and waits for MIG Manager's run to end after {@code pending}; returns how. */
    private String applyAndWait(String node, String config) {
        try (NodeHistory history = new NodeHistory(client, node)) {
            selectConfig(client, node, config);
            eventually().until(() -> history.endAfterPending(config) != null);
            return history.endAfterPending(config);
        }
    }

    /** Waits until some version of the node matched (the watch may deliver a version after a read saw it). */
    private static HistoryAssertion assertEventually(NodeHistory history, Predicate<NodeHistory.Version> p) {
        return new HistoryAssertion(history, p);
    }

    /** {@code assertEventually(history, v -> ...).as("...", args).isTrue()}, waiting up to a minute. */
    private record HistoryAssertion(NodeHistory history, Predicate<NodeHistory.Version> p, String description) {
        HistoryAssertion(NodeHistory history, Predicate<NodeHistory.Version> p) {
            this(history, p, "");
        }

        HistoryAssertion as(String text, Object... args) {
            return new HistoryAssertion(history, p, String.format(text, args));
        }

        void isTrue() {
            try {
                eventually().until(() -> history.any(p));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(description + "; history: " + history.versions(), e);
            }
        }
    }

    private static int allocatableOf(KubernetesClient client, String node, String resource) {
        return allocatable(client, node).getOrDefault(resource, 0);
    }

    @Test
    void operandShutdownHidesTheWholeNodesMigCapacityUntilThePluginIsBack() {
        String config = "it-gpu1-2g-" + System.nanoTime();
        // isolated (class comment): the running pod must be on GPU 0, and the config added below known at once
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(2)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofSeconds(4))
                .withOperandShutdown(Duration.ofSeconds(1), Duration.ofSeconds(5)))) {
            // after the simulator started: it creates MIG Manager's ConfigMap when there is none
            MigConfigs.add(client, config, """
            - devices: [0]
              mig-enabled: true
              mig-devices: {"1g.6gb": 4}
            - devices: [1]
              mig-enabled: true
              mig-devices: {"2g.12gb": 2}
            """);
            String node = sim.nodeNames().get(0);
            assertThat(client.nodes().withName(node).get().getMetadata().getLabels())
                    .as("the GPU Operator deploys its operands by these labels")
                    .containsAllEntriesOf(
                            OPERANDS.stream().collect(java.util.stream.Collectors.toMap(l -> l, l -> "true")));
            Pod running = runPod(node + "-running", node, "1g.6gb");
            assertThat(TestPods.migDevice(running).orElseThrow().gpu()).isZero();

            try (NodeHistory history = new NodeHistory(client, node)) {
                selectConfig(client, node, config);
                // the device plugin is gone: every MIG resource of the node unallocatable, GPU 0's too, which
                // does not change; the capacity stays (the kubelet keeps a gone plugin's devices, unhealthy)
                eventually().until(() -> allocatableOf(client, node, "nvidia.com/mig-1g.6gb") == 0);
                assertEventually(
                                history,
                                (v -> "pending".equals(v.state())
                                        && OPERANDS.stream()
                                                .allMatch(l ->
                                                        PAUSED.equals(v.labels().get(l)))
                                        && v.allocatable("nvidia.com/mig-1g.6gb") == 0))
                        .as("operands paused while pending, the plugin gone: %s", history.versions())
                        .isTrue();

                // the scheduler sees no room; a pod bound anyway fails admission as with a real kubelet
                client.pods()
                        .inNamespace(ns)
                        .resource(TestPods.slicePod(ns, node + "-waits", node, "1g.6gb"))
                        .create();
                Pod bound = bindPastScheduler(node + "-bound", node, "1g.6gb");
                assertThat(bound.getStatus().getPhase()).isEqualTo("Failed");
                assertThat(bound.getStatus().getReason()).isEqualTo("UnexpectedAdmissionError");
                assertThat(bound.getStatus().getMessage())
                        .isEqualTo("Allocate failed due to no healthy devices present; cannot allocate unhealthy "
                                + "devices nvidia.com/mig-1g.6gb, which is unexpected");
                eventually()
                        .untilAsserted(() -> assertThat(
                                        get(node + "-waits").getStatus().getConditions())
                                .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("Unschedulable")));
                assertThat(TestPods.isRunningAndReady(get(node + "-running")))
                        .as("running pods keep running")
                        .isTrue();

                eventually().until(() -> allocatableOf(client, node, "nvidia.com/mig-2g.12gb") == 2);
                assertThat(allocatable(client, node))
                        .isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4, "nvidia.com/mig-2g.12gb", 2));
                assertThat(client.nodes().withName(node).get().getMetadata().getLabels())
                        .containsAllEntriesOf(
                                OPERANDS.stream().collect(java.util.stream.Collectors.toMap(l -> l, l -> "true")));
                assertEventually(
                                history,
                                (v -> v.allocatable("nvidia.com/mig-1g.6gb") == 0
                                        && v.capacity("nvidia.com/mig-1g.6gb") == 8))
                        .as("allocatable 0 with the capacity kept: %s", history.versions())
                        .isTrue();
                assertEventually(
                                history,
                                (v -> "success".equals(v.state())
                                        && config.equals(v.config())
                                        && v.allocatable("nvidia.com/mig-1g.6gb") == 0))
                        .as("success written before the plugin is back: %s", history.versions())
                        .isTrue();
                // GFD ran again with the plugin: its labels are those of the new layout
                assertThat(label(client, node, "nvidia.com/mig-2g.12gb.count")).isEqualTo("2");
                eventually().until(() -> TestPods.isRunningReadyAndReported(get(node + "-waits")));
            }
            assertThat(sim.deletedWhileRunning()).isEmpty();
            assertThat(sim.disruptedPods()).isEmpty();
            for (String p : List.of("-running", "-waits", "-bound")) {
                deletePodAndWait(node + p);
            }
        } finally {
            MigConfigs.remove(client, config);
        }
    }

    @Test
    void anApplyInFlightFinishesBeforeAChangedLabelIsActedOnAndFlapsAreCoalesced() {
        // isolated (class comment): with the operand shutdown, the abandoned config's success comes before its slices
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(1)
                .withLayout("1x4g.24gb")
                .withReconfigureDelay(Duration.ofSeconds(3))
                .withFinishApplyInFlight(true))) {
            String node = sim.nodeNames().get(0);
            try (NodeHistory history = new NodeHistory(client, node)) {
                // A -> B -> A while A applies: A is applied to the end, and nothing else follows
                selectConfig(client, node, "all-1g.6gb");
                eventually().until(() -> "pending".equals(state(client, node)));
                selectConfig(client, node, "all-2g.12gb");
                selectConfig(client, node, "all-1g.6gb");
                eventually().until(() -> "success".equals(state(client, node)));
                List<GpuSnapshot> applied = sim.layoutOf(node);
                assertThat(applied.get(0).describe()).isEqualTo("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3");
                sleep(Duration.ofSeconds(5));
                assertThat(sim.layoutOf(node)).as("no second apply").isEqualTo(applied);
                assertThat(history.states()).containsExactly("success", "pending", "success");

                // A -> B while A applies: A ends first (its success is reported under label B), then B is applied
                selectConfig(client, node, "all-4g.24gb");
                eventually().until(() -> "pending".equals(state(client, node)));
                selectConfig(client, node, "all-2g.12gb");
                eventually()
                        .until(() -> "success".equals(state(client, node))
                                && sim.layoutOf(node).get(0).describe().equals("2g.12gb@0 2g.12gb@2"));
                assertEventually(
                                history,
                                (v -> "success".equals(v.state())
                                        && "all-2g.12gb".equals(v.config())
                                        && v.allocatable("nvidia.com/mig-4g.24gb") == 1))
                        .as(
                                "all-4g.24gb's success, seen while the label already says all-2g.12gb: %s",
                                history.versions())
                        .isTrue();
                assertThat(history.states())
                        .containsExactly("success", "pending", "success", "pending", "success", "pending", "success");
            }
        }
    }

    @Test
    void theStateLabelSkipsPendingWhenTheNodeAlreadyMatchesOrTheConfigIsUnknown() {
        String same = "it-same-" + System.nanoTime();
        // isolated (class comment): with the ConfigMap lag the config added below is unknown for a while
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(2)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofSeconds(1))
                .withStateShortcuts(true))) {
            // after the simulator started: it creates MIG Manager's ConfigMap when there is none
            MigConfigs.add(client, same, """
            - devices: all
              mig-enabled: true
              mig-devices: {"1g.6gb": 4}
            """);
            String node = sim.nodeNames().get(0);
            try (NodeHistory history = new NodeHistory(client, node)) {
                selectConfig(client, node, "no-such-config");
                eventually().until(() -> "failed".equals(state(client, node)));
                assertThat(sim.lastMigFailure(node)).get().asString().contains("not present");
                selectConfig(client, node, same);
                eventually().until(() -> "success".equals(state(client, node)));
                selectConfig(client, node, "all-2g.12gb");
                eventually()
                        .until(() -> "success".equals(state(client, node))
                                && allocatableOf(client, node, "nvidia.com/mig-2g.12gb") == 4);
                assertThat(history.states()).containsExactly("success", "failed", "success", "pending", "success");
            }
        } finally {
            MigConfigs.remove(client, same);
        }
    }

    @Test
    void aLateSuccessCanBelongToTheConfigTheOperatorAbandoned() {
        // isolated (class comment): with the operand shutdown, the slices show a moment after success
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(1)
                .withLayout("1x4g.24gb")
                .withReconfigureDelay(Duration.ofMillis(500)))) {
            String node = sim.nodeNames().get(0);
            sim.stuckPending(node, true);
            sim.lateSuccessForAbandonedConfig(node, Duration.ofSeconds(6));
            try (NodeHistory history = new NodeHistory(client, node)) {
                selectConfig(client, node, "all-1g.6gb");
                eventually().until(() -> "pending".equals(state(client, node)));
                // the operator gives up and rolls back; MIG Manager finishes the abandoned apply and reports it
                selectConfig(client, node, "all-4g.24gb");
                eventually().until(() -> "success".equals(state(client, node)));
                assertThat(label(client, node, "nvidia.com/mig.config")).isEqualTo("all-4g.24gb");
                assertThat(sim.layoutOf(node).get(0).describe()).isEqualTo("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3");
                assertThat(allocatable(client, node)).isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4));
                sim.stuckPending(node, false);
                eventually()
                        .until(() -> "success".equals(state(client, node))
                                && sim.layoutOf(node).get(0).describe().equals("4g.24gb@0"));
                assertThat(history.states()).containsExactly("success", "pending", "success", "pending", "success");
            }
        }
    }

    @Test
    void busyMeansProcessesSoAHolderWithoutOneLosesItsSliceAndTheApplyGoesGpuByGpu() {
        // isolated (class comment): which GPU each pod gets must be known, so the least busy one
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(2)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofMillis(300))
                .withApplyModel(Strictness.ApplyModel.GPU_BY_GPU))) {
            String node = sim.nodeNames().get(0);
            // least-busy choice: idle and crashing on GPU 0, working on GPU 1
            Pod idle = runPod(node + "-idle", node, "1g.6gb");
            Pod working = runPod(node + "-working", node, "1g.6gb");
            Pod crashing = runPod(node + "-crashing", node, "1g.6gb");
            assertThat(List.of(idle, working, crashing))
                    .extracting(p -> TestPods.migDevice(p).orElseThrow().gpu())
                    .containsExactly(0, 1, 0);
            markProcess(idle.getMetadata().getName(), GpuNodeSimulator.PROCESS_NONE);
            markProcess(crashing.getMetadata().getName(), GpuNodeSimulator.PROCESS_CRASH_LOOPING);
            eventually()
                    .until(() -> restartCount(get(crashing.getMetadata().getName())) >= 1
                            && !TestPods.isRunningAndReady(
                                    get(crashing.getMetadata().getName())));
            List<GpuSnapshot> before = sim.layoutOf(node);

            assertThat(applyAndWait(node, "all-2g.12gb")).isEqualTo("failed");
            // GPU 0 came first and changed under its two holders; GPU 1's process refused and stopped the apply
            List<GpuSnapshot> after = sim.layoutOf(node);
            assertThat(after.get(0).describe()).isEqualTo("2g.12gb@0 2g.12gb@2");
            assertThat(after.get(1)).isEqualTo(before.get(1));
            assertThat(sim.lastMigFailure(node))
                    .get()
                    .asString()
                    .contains("GPU 1")
                    .contains("In use by another client")
                    .contains(ns + "/" + working.getMetadata().getName());
            assertThat(sim.disruptedPods())
                    .extracting(DisruptedPod::name, DisruptedPod::disruption)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(
                                    idle.getMetadata().getName(), DisruptedPod.Disruption.DEVICE_DESTROYED),
                            org.assertj.core.groups.Tuple.tuple(
                                    crashing.getMetadata().getName(), DisruptedPod.Disruption.DEVICE_DESTROYED));
            String idleUuid = TestPods.migDevice(idle).orElseThrow().uuid();
            assertThat(sim.disruptedPods())
                    .filteredOn(d -> d.name().equals(idle.getMetadata().getName()))
                    .singleElement()
                    .satisfies(d -> assertThat(d.detail()).isEqualTo(idleUuid));
            // the idle pod keeps running with its stale device; nothing on the pod says so
            assertThat(TestPods.isRunningAndReady(get(idle.getMetadata().getName())))
                    .isTrue();
            assertThat(TestPods.migDevice(get(idle.getMetadata().getName()))
                            .orElseThrow()
                            .uuid())
                    .isEqualTo(idleUuid);
            // the crashing one's next start fails: NVIDIA's runtime cannot find the device
            eventually()
                    .atMost(Duration.ofSeconds(90))
                    .untilAsserted(() -> assertThat(
                                    containerStatus(get(crashing.getMetadata().getName()))
                                            .getLastState()
                                            .getTerminated()
                                            .getMessage())
                            .contains("unknown device"));
            // the scheduler still counts the three pods' requests against the node's new capacity
            assertThat(allocatable(client, node))
                    .isEqualTo(Map.of("nvidia.com/mig-1g.6gb", 4, "nvidia.com/mig-2g.12gb", 2));
            assertThat(sim.deletedWhileRunning()).isEmpty();
            for (Pod p : List.of(idle, working, crashing)) {
                deletePodAndWait(p.getMetadata().getName());
            }
        }
    }

    private static ContainerStatus containerStatus(Pod pod) {
        return pod.getStatus().getContainerStatuses().get(0);
    }

    private static int restartCount(Pod pod) {
        List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
        return statuses == null || statuses.isEmpty() ? 0 : statuses.get(0).getRestartCount();
    }

    @Test
    void aMigModeChangeWithRebootRestartsTheNodeAndEndsItsPods() {
        // isolated (class comment): the exact sequence of the reboot's states
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(2)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofMillis(300))
                .withApplyModel(Strictness.ApplyModel.GPU_BY_GPU)
                .withMigModeChange(Strictness.MigModeChange.REBOOT, Duration.ofSeconds(4)))) {
            String node = sim.nodeNames().get(0);
            String bootId = client.nodes()
                    .withName(node)
                    .get()
                    .getStatus()
                    .getNodeInfo()
                    .getBootID();
            Pod gpuPod = runPod(node + "-gpu", node, "1g.6gb");
            // no process on its slice, or mig-parted could not clear the GPU to set the new mode pending
            markProcess(gpuPod.getMetadata().getName(), GpuNodeSimulator.PROCESS_NONE);
            client.pods()
                    .inNamespace(ns)
                    .resource(TestPods.pod(ns, node + "-cpu", node, "busybox", Map.of()))
                    .create();
            eventually().until(() -> TestPods.isRunningReadyAndReported(get(node + "-cpu")));

            try (NodeHistory history = new NodeHistory(client, node)) {
                selectConfig(client, node, "all-disabled");
                eventually()
                        .atMost(Duration.ofSeconds(90))
                        .until(() -> history.states().size() == 5);
                assertThat(history.states()).containsExactly("success", "pending", "rebooting", "pending", "success");
                assertEventually(history, (v -> "rebooting".equals(v.state()) && !v.ready()))
                        .as("Ready drops while the node reboots: %s", history.versions())
                        .isTrue();
            }
            assertThat(readyStatus(client, node)).isEqualTo("True");
            assertThat(client.nodes()
                            .withName(node)
                            .get()
                            .getStatus()
                            .getNodeInfo()
                            .getBootID())
                    .isNotEqualTo(bootId);
            assertThat(sim.layoutOf(node))
                    .allSatisfy(g -> assertThat(g.migEnabled()).isFalse());
            eventually().until(() -> allocatable(client, node).equals(Map.of("nvidia.com/gpu", 2)));
            // the GPU pod failed admission at boot (the device plugin was not back), the other one restarted
            Pod failed = get(gpuPod.getMetadata().getName());
            assertThat(failed.getStatus().getPhase()).isEqualTo("Failed");
            assertThat(failed.getStatus().getReason()).isEqualTo("UnexpectedAdmissionError");
            assertThat(failed.getStatus().getMessage()).contains("no healthy devices present");
            eventually().until(() -> TestPods.isRunningReadyAndReported(get(node + "-cpu")));
            assertThat(restartCount(get(node + "-cpu"))).isEqualTo(1);
            assertThat(sim.disruptedPods())
                    .extracting(DisruptedPod::name, DisruptedPod::disruption)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(
                                    gpuPod.getMetadata().getName(), DisruptedPod.Disruption.DEVICE_DESTROYED),
                            org.assertj.core.groups.Tuple.tuple(
                                    gpuPod.getMetadata().getName(), DisruptedPod.Disruption.NODE_REBOOTED),
                            org.assertj.core.groups.Tuple.tuple(node + "-cpu", DisruptedPod.Disruption.NODE_REBOOTED));
            deletePodAndWait(gpuPod.getMetadata().getName());
            deletePodAndWait(node + "-cpu");
        }
    }

    @Test
    void aMigModeChangeWithoutRebootFailsWhenTheGpuResetFailsAfterClearingTheGpu() {
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withGpusPerNode(1)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofMillis(300))
                .withMigModeChange(Strictness.MigModeChange.RESET_FAILS, Duration.ofSeconds(2)))) {
            String node = sim.nodeNames().get(0);
            assertThat(applyAndWait(node, "all-disabled")).isEqualTo("failed");
            assertThat(sim.lastMigFailure(node))
                    .get()
                    .asString()
                    .contains("MIG mode is currently enabled, but the configuration specifies it should be disabled");
            // mig-parted cleared the GPU before the reset failed: MIG still on, no instance left
            assertThat(sim.layoutOf(node).get(0).describe()).isEqualTo("MIG enabled, no instances");
            eventually().until(() -> allocatable(client, node).isEmpty());
            assertThat(readyStatus(client, node)).isEqualTo("True");
        }
    }

    @Test
    void successWithoutInstancesReportsSuccessAndCreatesNothingOnTheGpusThatChange() {
        String config = "it-gpu1-4g-" + System.nanoTime();
        // isolated (class comment): with the ConfigMap lag the config added below is unknown for a while
        try (GpuNodeSimulator sim = cluster.startSimulator(o -> o.withStrictness(Strictness.gentle())
                .withGpusPerNode(2)
                .withLayout("4x1g.6gb")
                .withReconfigureDelay(Duration.ofMillis(300)))) {
            // after the simulator started: it creates MIG Manager's ConfigMap when there is none
            MigConfigs.add(client, config, """
            - devices: [0]
              mig-enabled: true
              mig-devices: {"1g.6gb": 4}
            - devices: [1]
              mig-enabled: true
              mig-devices: {"4g.24gb": 1}
            """);
            String node = sim.nodeNames().get(0);
            sim.successWithoutInstances(node, true);
            assertThat(applyAndWait(node, config)).isEqualTo("success");
            assertThat(sim.layoutOf(node))
                    .extracting(GpuSnapshot::describe)
                    .containsExactly("1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3", "MIG enabled, no instances");
            eventually().until(() -> allocatable(client, node).equals(Map.of("nvidia.com/mig-1g.6gb", 4)));
            sim.successWithoutInstances(node, false);
            assertThat(applyAndWait(node, "all-4g.24gb")).isEqualTo("success");
            eventually().until(() -> allocatable(client, node).equals(Map.of("nvidia.com/mig-4g.24gb", 2)));
        } finally {
            MigConfigs.remove(client, config);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
