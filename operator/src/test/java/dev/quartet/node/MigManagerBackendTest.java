package dev.quartet.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.Inventory;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.TestNodes;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.Assignment;
import dev.quartet.planner.Demand;
import dev.quartet.planner.GpuPlan;
import dev.quartet.planner.Instance;
import dev.quartet.planner.Placement;
import dev.quartet.planner.Plan;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.NodeProgress.Phase;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MigManagerBackendTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final String NAMESPACE = "gpu-operator";
    private static final String CONFIG_MAP = "default-mig-parted-config";
    private static final String KEY = "config.yaml";
    private static final List<Instance> WHOLE = List.of(new Instance("4g.24gb", 0));
    private static final List<Instance> HALVES = List.of(new Instance("2g.12gb", 0), new Instance("2g.12gb", 2));

    private final FakeKubernetes cluster = new FakeKubernetes();
    private final List<String> events = new ArrayList<>();

    /**
     * Settings as the chart sets them, but for how many nodes repartition at once, the propagation delay and whether
     * MIG mode may change.
     */
    private record Settings(int maxConcurrentRepartitions, Duration configPropagationDelay, boolean allowMigModeChange)
            implements QuartetConfig.MigManager {
        @Override
        public String configMapName() {
            return CONFIG_MAP;
        }

        @Override
        public String namespace() {
            return NAMESPACE;
        }

        @Override
        public String configKey() {
            return KEY;
        }

        @Override
        public Duration repartitionTimeout() {
            return Duration.ofMinutes(10);
        }

        @Override
        public Duration retryBackoff() {
            return Duration.ofMinutes(15);
        }

        @Override
        public boolean repartitionEnabled() {
            return true;
        }

        @Override
        public Duration layoutVerifyTimeout() {
            return Duration.ofMinutes(2);
        }
    }

    private MigManagerBackend backend(int maxConcurrentRepartitions) {
        return backend(maxConcurrentRepartitions, Duration.ZERO);
    }

    private MigManagerBackend backend(int maxConcurrentRepartitions, Duration configPropagationDelay) {
        return backend(maxConcurrentRepartitions, configPropagationDelay, false);
    }

    private MigManagerBackend backend(
            int maxConcurrentRepartitions, Duration configPropagationDelay, boolean allowMigModeChange) {
        MigManagerBackend backend = new MigManagerBackend();
        backend.client = cluster.client;
        // ConfigMap writes end at once: each pass's time is the time of its writes
        backend.clock = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
        backend.config = new QuartetConfig() {
            @Override
            public Worker worker() {
                throw new UnsupportedOperationException();
            }

            @Override
            public MigManager migManager() {
                return new Settings(maxConcurrentRepartitions, configPropagationDelay, allowMigModeChange);
            }

            @Override
            public Planner planner() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Autoscaling autoscaling() {
                throw new UnsupportedOperationException();
            }

            @Override
            public String backend() {
                return "auto";
            }

            public NodeAgent nodeAgent() {
                return dev.quartet.config.NodeAgentSettings.defaults();
            }

            @Override
            public Duration nodeLostAfter() {
                return InventoryBuilder.DEFAULT_LOST_AFTER;
            }

            @Override
            public LeaderElection leaderElection() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Webhook webhook() {
                throw new UnsupportedOperationException();
            }
        };
        backend.events = new EventRecorder() {
            @Override
            public void normal(HasMetadata about, String reason, String message) {
                events.add("Normal " + reason + " " + about.getMetadata().getName() + ": " + message);
            }

            @Override
            public void warning(HasMetadata about, String reason, String message) {
                events.add("Warning " + reason + " " + about.getMetadata().getName() + ": " + message);
            }
        };
        backend.init();
        return backend;
    }

    /** A Ready node with one A30 on {@code config} in {@code state} (either may be null). */
    private static NodeBuilder a30(String name, String config, String state) {
        return TestNodes.node(
                name, "NVIDIA-A30", 1, config, state, Map.of(NvidiaLabels.resourceName("1g.6gb"), new Quantity("4")));
    }

    private void migConfig(String text) {
        cluster.put(new ConfigMapBuilder()
                .withNewMetadata()
                .withNamespace(NAMESPACE)
                .withName(CONFIG_MAP)
                .endMetadata()
                .addToData(KEY, text)
                .build());
    }

    private MigPartedConfig migConfig() {
        return MigPartedConfig.parse(
                cluster.configMaps.get(NAMESPACE + "/" + CONFIG_MAP).getData().get(KEY));
    }

    /** What the informer caches show now. */
    private ClusterSnapshot snapshot() {
        return new ClusterSnapshot(cluster.nodes(), List.of(), migConfig(), null);
    }

    private static Plan plan(GpuPlan... gpus) {
        return new Plan(Arrays.asList(gpus), List.of(), List.of(), List.of(), List.of());
    }

    private static GpuPlan repartition(String node, List<Instance> layout) {
        return new GpuPlan(node, 0, GpuModel.A30, layout, true);
    }

    /**
     * One pass of the node loop over every node, one after the other, as the node controller would run them from one
     * state of the informer caches: each node's report.
     */
    private static Map<String, NodeProgress> pass(
            MigManagerBackend backend, Plan plan, ClusterSnapshot snapshot, Instant now) {
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot, new InventoryBuilder.Owners(Map.of()), now);
        return pass(backend, plan, inventory, snapshot, now);
    }

    private static Map<String, NodeProgress> pass(
            MigManagerBackend backend, Plan plan, Inventory inventory, ClusterSnapshot snapshot, Instant now) {
        Map<String, NodeProgress> progress = new TreeMap<>();
        for (String node : new java.util.TreeSet<>(inventory.nodes().keySet())) {
            backend.reconcileNode(node, plan, inventory, snapshot, now)
                    .progress()
                    .ifPresent(p -> progress.put(node, p));
        }
        return progress;
    }

    private String label(String node, String key) {
        return cluster.node(node).getMetadata().getLabels().get(key);
    }

    private String annotation(String node, String key) {
        Map<String, String> annotations = cluster.node(node).getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    /** MIG Manager sets {@code nvidia.com/mig.config.state} on the node. */
    private void migManagerReports(String node, String state) {
        Node n = cluster.node(node);
        n.getMetadata().getLabels().put(NvidiaLabels.MIG_CONFIG_STATE, state);
        cluster.put(n);
    }

    /**
     * MIG Manager applied the selected config: state {@code success}, and the device plugin advertises the config's
     * slices (one A30 per node in these tests).
     */
    private void migManagerSucceeds(String node) {
        migManagerReports(node, NvidiaLabels.STATE_SUCCESS);
        Node n = cluster.node(node);
        String config = n.getMetadata().getLabels().get(NvidiaLabels.MIG_CONFIG);
        devicePluginAdvertises(
                node,
                migConfig().entryFor(config, 0, GpuModel.A30).orElseThrow().migDevices());
    }

    /** The device plugin's allocatable: {@code nvidia.com/mig-<profile>} per profile, nothing else. */
    private void devicePluginAdvertises(String node, Map<String, Integer> slices) {
        Node n = cluster.node(node);
        Map<String, Quantity> allocatable = new TreeMap<>();
        slices.forEach((p, k) -> allocatable.put(NvidiaLabels.resourceName(p), new Quantity(String.valueOf(k))));
        n.getStatus().setAllocatable(allocatable);
        cluster.put(n);
    }

    private NodeMigRecord failure(String node) {
        return NodeMigRecord.of(GpuNode.from(cluster.node(node)).orElseThrow()).orElseThrow();
    }

    @Test
    void nodesRepartitionedInOnePassEachKeepTheirConfig() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());

        Map<String, NodeProgress> progress =
                pass(backend(2), plan(repartition("gpu-a", WHOLE), repartition("gpu-b", HALVES)), snapshot(), NOW);

        assertThat(progress.values()).extracting(NodeProgress::phase).containsOnly(Phase.APPLYING);
        String a = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        String b = label("gpu-b", NvidiaLabels.MIG_CONFIG);
        assertThat(a).startsWith(MigPartedConfigWriter.PREFIX).isNotEqualTo(b);
        assertThat(migConfig().configs()).containsKeys(a, b);
        assertThat(migConfig().entryFor(a, 0, GpuModel.A30).orElseThrow().migDevices())
                .isEqualTo(Map.of("4g.24gb", 1));
    }

    @Test
    void aConfigALiveNodeSelectsSurvivesASnapshotThatDoesNotShowItYet() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());
        ClusterSnapshot stale = snapshot();
        MigManagerBackend backend = backend(2);
        pass(backend, plan(repartition("gpu-a", WHOLE)), stale, NOW);
        String a = label("gpu-a", NvidiaLabels.MIG_CONFIG);

        pass(backend, plan(repartition("gpu-b", HALVES)), stale, NOW.plusSeconds(1));

        String b = label("gpu-b", NvidiaLabels.MIG_CONFIG);
        assertThat(b).startsWith(MigPartedConfigWriter.PREFIX).isNotEqualTo(a);
        assertThat(migConfig().configs()).containsKeys(a, b);
    }

    @Test
    void aTurnIsTakenOnlyIfTheNodesAsTheApiServerHasThemLeaveOneFree() {
        // The informer cache has not shown gpu-a's relabel yet: from it, a turn looks free for gpu-b.
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());
        ClusterSnapshot stale = snapshot();
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), stale, NOW);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).startsWith(MigPartedConfigWriter.PREFIX);
        int writes = cluster.writes.size();

        NodeProgress b = pass(backend, plan(repartition("gpu-b", HALVES)), stale, NOW.plusSeconds(1))
                .get("gpu-b");

        assertThat(b.phase()).isEqualTo(Phase.WAITING);
        assertThat(b.message()).startsWith("waiting for a turn");
        assertThat(cluster.writes).hasSize(writes);
        assertThat(annotation("gpu-b", QuartetLabels.NODE_CONFIG_STAGED)).isNull();
    }

    @Test
    void quartetConfigsNoNodeUsesAreStillRemoved() {
        migConfig(TestNodes.nvidiaDefault() + """

                  quartet-00000fffff:
                    - devices: all
                      mig-enabled: false
                """);
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());

        pass(backend(1), plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);

        assertThat(migConfig().configs())
                .doesNotContainKey("quartet-00000fffff")
                .containsKey(label("gpu-a", NvidiaLabels.MIG_CONFIG));
    }

    @Test
    void aFailureWithNothingToRollBackToIsRecordedAndReportedOnce() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", null, null).build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isNull();
        String failed = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        migManagerReports("gpu-a", NvidiaLabels.STATE_FAILED);
        int writes = cluster.writes.size();
        events.clear();

        NodeProgress first =
                pass(backend, plan(), snapshot(), NOW.plusSeconds(60)).get("gpu-a");

        assertThat(first.phase()).isEqualTo(Phase.FAILED);
        assertThat(first.message()).contains("nothing to roll back to");
        assertThat(cluster.writes).hasSize(writes + 1);
        assertThat(events)
                .singleElement()
                .asString()
                .startsWith("Warning MigManagerFailed gpu-a")
                .contains("nothing to roll back to");
        NodeMigRecord record = failure("gpu-a");
        assertThat(record.config()).isEqualTo(failed);
        assertThat(record.rolledBackTo()).isNull();
        assertThat(record.retryAfter())
                .isEqualTo(NOW.plusSeconds(60).plus(Duration.ofMinutes(15)).toString());
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo(failed);

        for (Instant later : List.of(NOW.plusSeconds(61), NOW.plusSeconds(62), NOW.plusSeconds(600))) {
            NodeProgress again = pass(backend, plan(), snapshot(), later).get("gpu-a");

            assertThat(again.phase()).isEqualTo(Phase.FAILED);
            assertThat(again.message()).contains("nothing to roll back to").doesNotContain("null");
        }
        assertThat(pass(backend, plan(), snapshot(), NOW.plus(Duration.ofHours(1))))
                .doesNotContainKey("gpu-a");
        assertThat(cluster.writes).hasSize(writes + 1);
        assertThat(events).hasSize(1);
        assertThat(failure("gpu-a")).isEqualTo(record);
    }

    @Test
    void aTimeoutWithNothingToRollBackToIsRecordedOnce() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", null, null).build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        int writes = cluster.writes.size();

        Instant late = NOW.plus(Duration.ofMinutes(11));
        assertThat(pass(backend, plan(), snapshot(), late).get("gpu-a").reason())
                .isEqualTo("MigManagerTimeout");
        NodeMigRecord record = failure("gpu-a");
        pass(backend, plan(), snapshot(), late.plusSeconds(1));
        pass(backend, plan(), snapshot(), late.plus(Duration.ofMinutes(20)));

        assertThat(cluster.writes).hasSize(writes + 1);
        assertThat(failure("gpu-a")).isEqualTo(record);
        assertThat(events).filteredOn(e -> e.startsWith("Warning")).hasSize(1);
    }

    @Test
    void aLateSuccessAfterARecordedTimeoutClearsTheFailure() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", null, null).build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String tried = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        Instant late = NOW.plus(Duration.ofMinutes(11));
        assertThat(pass(backend, plan(), snapshot(), late).get("gpu-a").phase()).isEqualTo(Phase.FAILED);
        migManagerSucceeds("gpu-a");
        events.clear();

        Map<String, NodeProgress> progress = pass(backend, plan(), snapshot(), late.plusSeconds(30));

        assertThat(progress).doesNotContainKey("gpu-a");
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_FAILURE)).isNull();
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo(tried);
        assertThat(events)
                .singleElement()
                .asString()
                .startsWith("Normal MigRepartitioned gpu-a")
                .contains("after the failure Quartet recorded");
        assertThat(pass(backend, plan(), snapshot(), late.plusSeconds(31))).doesNotContainKey("gpu-a");
        assertThat(events).hasSize(1);
    }

    @Test
    void theConfigAnAdministratorChoseIsTheRollbackTargetWhenNoStateIsReported() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", null).build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo("all-1g.6gb");
        migManagerReports("gpu-a", NvidiaLabels.STATE_FAILED);

        pass(backend, plan(), snapshot(), NOW.plusSeconds(60));

        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG_STATE)).isEqualTo(NvidiaLabels.STATE_PENDING);
        assertThat(failure("gpu-a").rolledBackTo()).isEqualTo("all-1g.6gb");
    }

    @Test
    void aConfigThatFailsAgainAfterTheBackOffIsRolledBackAgain() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String tried = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        migManagerReports("gpu-a", NvidiaLabels.STATE_FAILED);
        pass(backend, plan(), snapshot(), NOW.plusSeconds(60));
        migManagerSucceeds("gpu-a");
        // The rollback's layout shows: checked once, the node waits for its back-off.
        assertThat(pass(backend, plan(), snapshot(), NOW.plusSeconds(90))
                        .get("gpu-a")
                        .phase())
                .isEqualTo(Phase.FAILED);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAYOUT_CHECK)).isNull();
        Instant afterBackOff = NOW.plus(Duration.ofMinutes(30));
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), afterBackOff);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo(tried);
        migManagerReports("gpu-a", NvidiaLabels.STATE_FAILED);

        pass(backend, plan(), snapshot(), afterBackOff.plusSeconds(60));

        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");
        assertThat(failure("gpu-a").at()).isEqualTo(afterBackOff.plusSeconds(60).toString());
        assertThat(events)
                .filteredOn(e -> e.startsWith("Warning MigManagerFailed"))
                .hasSize(2);
    }

    /** gpu-a: two A30s, GPU 0 at 4x 1g.6gb and GPU 1 at 1x 4g.24gb, running a 1g.6gb pod nobody placed. */
    private ClusterSnapshot podWithoutReportedSlice() {
        migConfig(TestNodes.nvidiaDefault() + "\n" + TestNodes.PER_GPU_ENTRY);
        cluster.put(TestNodes.perGpuA30("gpu-a").build());
        Pod trainer = new PodBuilder()
                .withNewMetadata()
                .withNamespace("batch")
                .withName("trainer")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gpu-a")
                .addNewContainer()
                .withName("main")
                .withImage("trainer")
                .withNewResources()
                .addToLimits(NvidiaLabels.resourceName("1g.6gb"), new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .endStatus()
                .build();
        return new ClusterSnapshot(cluster.nodes(), List.of(trainer), migConfig(), null);
    }

    private static GpuPlan repartition(String node, int gpu, List<Instance> layout) {
        return new GpuPlan(node, gpu, GpuModel.A30, layout, true);
    }

    @Test
    void aGpuWithoutAnInstanceOfAnUnplacedPodsProfileIsRepartitioned() {
        ClusterSnapshot snapshot = podWithoutReportedSlice();

        NodeProgress progress = pass(backend(1), plan(repartition("gpu-a", 1, HALVES)), snapshot, NOW)
                .get("gpu-a");

        assertThat(progress.phase()).isEqualTo(Phase.APPLYING);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).startsWith(MigPartedConfigWriter.PREFIX);
    }

    @Test
    void aGpuThatMayHoldAnUnplacedPodIsNotRepartitioned() {
        ClusterSnapshot snapshot = podWithoutReportedSlice();

        NodeProgress progress = pass(backend(1), plan(repartition("gpu-a", 0, HALVES)), snapshot, NOW)
                .get("gpu-a");

        assertThat(progress.phase()).isEqualTo(Phase.WAITING);
        assertThat(progress.message()).contains("cannot tell which GPU pod batch/trainer uses");
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("per-gpu");
    }

    @Test
    void aNewConfigIsSelectedOnlyOnceMigManagersMountedCopyCanShowIt() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1, Duration.ofSeconds(90));

        NodeProgress first = pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW)
                .get("gpu-a");

        String staged = annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED);
        assertThat(staged).startsWith(MigPartedConfigWriter.PREFIX).endsWith("@" + NOW);
        String config = staged.substring(0, staged.indexOf('@'));
        assertThat(migConfig().configs()).containsKey(config);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");
        assertThat(first.phase()).isEqualTo(Phase.WAITING);
        assertThat(first.message()).contains("selecting it after " + NOW.plusSeconds(90));
        int writes = cluster.writes.size();

        NodeProgress early = pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW.plusSeconds(89))
                .get("gpu-a");

        assertThat(early.phase()).isEqualTo(Phase.WAITING);
        assertThat(cluster.writes).hasSize(writes);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");

        NodeProgress due = pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW.plusSeconds(90))
                .get("gpu-a");

        assertThat(due.phase()).isEqualTo(Phase.APPLYING);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo(config);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED)).isNull();
    }

    @Test
    void theConfigMapLagIsCountedFromWhenTheWriteEndedNotFromAnOlderPlan() {
        // The pass works from a plan computed at NOW; the ConfigMap write ends 2.4 s later (a busy API server). MIG
        // Manager's mounted copy follows the ConfigMap from the write on: counted from NOW, or from the write rounded
        // down, the wait would be shorter than configured and MIG Manager would not find the config yet.
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1, Duration.ofSeconds(90));
        backend.clock = Clock.fixed(NOW.plusMillis(2400), ZoneOffset.UTC);
        backend.init();

        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);

        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED)).endsWith("@" + NOW.plusSeconds(3));
        NodeProgress early = pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW.plusSeconds(92))
                .get("gpu-a");
        assertThat(early.phase()).isEqualTo(Phase.WAITING);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");

        NodeProgress due = pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW.plusSeconds(93))
                .get("gpu-a");
        assertThat(due.phase()).isEqualTo(Phase.APPLYING);
    }

    @Test
    void aConfigStagedForAnotherNodeIsKeptAndOneNoLongerPlannedIsDropped() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(2, Duration.ofSeconds(90));
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String stagedA = annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED);
        String configA = stagedA.substring(0, stagedA.indexOf('@'));

        pass(backend, plan(repartition("gpu-a", WHOLE), repartition("gpu-b", HALVES)), snapshot(), NOW.plusSeconds(10));

        assertThat(migConfig().configs()).containsKey(configA);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED)).isEqualTo(stagedA);

        pass(backend, plan(repartition("gpu-b", HALVES)), snapshot(), NOW.plusSeconds(20));
        pass(backend, plan(repartition("gpu-b", HALVES)), snapshot(), NOW.plusSeconds(100));

        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED)).isNull();
        assertThat(label("gpu-b", NvidiaLabels.MIG_CONFIG)).startsWith(MigPartedConfigWriter.PREFIX);
        assertThat(migConfig().configs()).doesNotContainKey(configA);
    }

    @Test
    void aDrainDoesNotWaitForAReplacementPlannedOnAGpuThatIsItselfToBeRepartitioned() {
        // gpu-a must go from 4 x 1g.6gb to 4g.24gb; its movable replica's replacement is planned on gpu-b's GPU,
        // which needs a repartition too. With one repartition at a time, gpu-a waiting for that replacement and
        // gpu-b waiting for its turn waited for each other for ever.
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(TestNodes.node(
                        "gpu-b",
                        "NVIDIA-A30",
                        1,
                        "all-4g.24gb",
                        "success",
                        Map.of(NvidiaLabels.resourceName("4g.24gb"), new Quantity("1")))
                .build());
        Pod small = new PodBuilder()
                .withNewMetadata()
                .withNamespace("ns")
                .withName("small-0")
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, "small")
                .addToAnnotations(
                        QuartetLabels.MIG_DEVICE, "{\"gpu\":0,\"profile\":\"1g.6gb\",\"start\":0,\"uuid\":\"MIG-a\"}")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gpu-a")
                .addNewContainer()
                .withName("worker")
                .withImage("w")
                .withNewResources()
                .addToLimits(NvidiaLabels.resourceName("1g.6gb"), new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
        cluster.put(small);
        ClusterSnapshot snapshot = new ClusterSnapshot(cluster.nodes(), List.of(small), migConfig(), null);
        Demand smallDemand = new Demand("ns/small", "1g.6gb", null, 1, 0, null, true, Placement.SPREAD, null);
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot, new InventoryBuilder.Owners(Map.of("ns/small", smallDemand)), NOW);
        Plan plan = new Plan(
                List.of(
                        repartition("gpu-a", WHOLE),
                        new GpuPlan(
                                "gpu-b",
                                0,
                                GpuModel.A30,
                                List.of(
                                        new Instance("1g.6gb", 0),
                                        new Instance("1g.6gb", 1),
                                        new Instance("2g.12gb", 2)),
                                true)),
                List.of(
                        new Assignment("ns/big", "gpu-a", 0, "4g.24gb", 0, false, null),
                        new Assignment("ns/small", "gpu-b", 0, "1g.6gb", 0, false, null)),
                List.of("ns/small-0"),
                List.of(),
                List.of());

        NodeProgress progress = backend(1)
                .reconcileNode("gpu-a", plan, inventory, snapshot, NOW)
                .progress()
                .orElseThrow();

        assertThat(progress.message()).doesNotContain("replacement");
        assertThat(cluster.writes).contains("evict pod/ns/small-0");
    }

    @Test
    void aNodeMigManagerIsBusyWithCountsAgainstTheLimitWhoeverChoseItsConfig() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", NvidiaLabels.STATE_PENDING).build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());

        NodeProgress progress = pass(backend(1), plan(repartition("gpu-b", WHOLE)), snapshot(), NOW)
                .get("gpu-b");

        assertThat(progress.phase()).isEqualTo(Phase.WAITING);
        assertThat(progress.message()).startsWith("waiting for a turn");
        assertThat(label("gpu-b", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");
    }

    @Test
    void aNodeWhereMigManagerAppliesAnAdministratorsConfigIsNotStagedMeanwhile() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", NvidiaLabels.STATE_PENDING).build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());

        Map<String, NodeProgress> progress =
                pass(backend(2), plan(repartition("gpu-a", WHOLE), repartition("gpu-b", HALVES)), snapshot(), NOW);

        assertThat(progress.get("gpu-a").message()).startsWith("waiting for a turn");
        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED)).isNull();
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");
        assertThat(progress.get("gpu-b").phase()).isEqualTo(Phase.APPLYING);
    }

    @Test
    void quartetsConfigsANodeUsesAreWrittenBackWhenSomethingRewritesTheConfigMap() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String selected = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        migManagerSucceeds("gpu-a");
        pass(backend, plan(), snapshot(), NOW.plusSeconds(30));
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo(selected);
        // The GPU Operator restores its default-mig-parted-config: Quartet's entries are gone.
        migConfig(TestNodes.nvidiaDefault());

        pass(backend, plan(), snapshot(), NOW.plusSeconds(60));

        assertThat(migConfig().configs()).containsKey(selected).containsKey("all-1g.6gb");
        assertThat(migConfig().entryFor(selected, 0, GpuModel.A30).orElseThrow().migDevices())
                .isEqualTo(Map.of("4g.24gb", 1));
        int writes = cluster.writes.size();
        pass(backend, plan(), snapshot(), NOW.plusSeconds(90));
        assertThat(cluster.writes).as("nothing more to write back").hasSize(writes);
    }

    @Test
    void aRestartedOperatorWritesBackAndRollsBackToConfigsRecordedOnTheNode() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        pass(backend(1), plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String first = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        migManagerSucceeds("gpu-a");
        // One step verifies the layout MIG Manager reported, the next starts the next change.
        pass(backend(1), plan(repartition("gpu-a", HALVES)), snapshot(), NOW.plusSeconds(30));
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo(first);
        pass(backend(1), plan(repartition("gpu-a", HALVES)), snapshot(), NOW.plusSeconds(31));
        String second = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo(first);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_CONTENT)).contains(first, second);
        // A restarted operator (nothing in memory) finds the ConfigMap rewritten and the new config failing.
        migConfig(TestNodes.nvidiaDefault());
        migManagerReports("gpu-a", NvidiaLabels.STATE_FAILED);

        NodeProgress progress =
                pass(backend(1), plan(), snapshot(), NOW.plusSeconds(60)).get("gpu-a");

        assertThat(progress.message()).contains("rolled back to " + first);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo(first);
        assertThat(migConfig().configs()).containsKeys(first, second);
        assertThat(migConfig().entryFor(first, 0, GpuModel.A30).orElseThrow().migDevices())
                .isEqualTo(Map.of("4g.24gb", 1));
    }

    @Test
    void aLastGoodConfigTheConfigMapNoLongerHasIsNotSelectedAsARollback() {
        migConfig(TestNodes.nvidiaDefault() + """

                  custom-halves:
                    - devices: all
                      mig-enabled: true
                      mig-devices:
                        "2g.12gb": 2
                """);
        cluster.put(a30("gpu-a", "custom-halves", "success").build());
        pass(backend(1), plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String tried = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo("custom-halves");
        // An administrator's edit drops custom-halves; the new config then fails.
        migConfig(TestNodes.nvidiaDefault());
        migManagerReports("gpu-a", NvidiaLabels.STATE_FAILED);

        NodeProgress progress =
                pass(backend(1), plan(), snapshot(), NOW.plusSeconds(60)).get("gpu-a");

        assertThat(progress.phase()).isEqualTo(Phase.FAILED);
        assertThat(progress.message()).contains("cannot roll back to custom-halves");
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo(tried);
    }

    @Test
    void aNodeWhoseConfigIsStagedKeepsItsTurn() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1, Duration.ofSeconds(90));
        pass(backend, plan(repartition("gpu-b", WHOLE)), snapshot(), NOW);
        assertThat(annotation("gpu-b", QuartetLabels.NODE_CONFIG_STAGED)).isNotNull();

        Map<String, NodeProgress> progress = pass(
                backend,
                plan(repartition("gpu-a", HALVES), repartition("gpu-b", WHOLE)),
                snapshot(),
                NOW.plusSeconds(10));

        assertThat(progress.get("gpu-a").message()).startsWith("waiting for a turn");
        assertThat(annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED)).isNull();
        assertThat(progress.get("gpu-b").message()).contains("selecting it after");
    }

    /** A Ready replica pod of {@code ns/<deployment>} on {@code node}, holding the slice it reports. */
    private static Pod replica(String deployment, String name, String node, int gpu, String profile, int start) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("ns")
                .withName(name)
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, deployment)
                .addToAnnotations(
                        QuartetLabels.MIG_DEVICE,
                        "{\"gpu\":" + gpu + ",\"profile\":\"" + profile + "\",\"start\":" + start + ",\"uuid\":\"MIG-"
                                + name + "\"}")
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName("worker")
                .withImage("w")
                .withNewResources()
                .addToLimits(NvidiaLabels.resourceName(profile), new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
    }

    private static Demand movable(String deployment, String profile) {
        return new Demand("ns/" + deployment, profile, null, 1, 0, null, true, Placement.SPREAD, null);
    }

    @Test
    void aSuccessWithoutTheLayoutIsRolledBackOnceTheDevicePluginHadTimeToShowIt() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String tried = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        // MIG Manager reports success and created no instance (NVIDIA/mig-parted#18, #97).
        migManagerReports("gpu-a", NvidiaLabels.STATE_SUCCESS);
        devicePluginAdvertises("gpu-a", Map.of());
        events.clear();

        NodeProgress first =
                pass(backend, plan(), snapshot(), NOW.plusSeconds(30)).get("gpu-a");

        assertThat(first.phase()).isEqualTo(Phase.VERIFYING);
        assertThat(first.message()).contains("waiting until " + NOW.plusSeconds(150));
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAYOUT_CHECK))
                .isEqualTo(NOW.plusSeconds(30).toString());
        assertThat(pass(backend, plan(), snapshot(), NOW.plusSeconds(149))
                        .get("gpu-a")
                        .phase())
                .isEqualTo(Phase.VERIFYING);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo("all-1g.6gb");

        NodeProgress rolledBack =
                pass(backend, plan(), snapshot(), NOW.plusSeconds(151)).get("gpu-a");

        assertThat(rolledBack.phase()).isEqualTo(Phase.FAILED);
        assertThat(rolledBack.reason()).isEqualTo("MigLayoutMismatch");
        assertThat(rolledBack.message())
                .contains("reported success on node gpu-a for " + tried)
                .contains("advertises no MIG slices")
                .contains("rolled back to all-1g.6gb");
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-1g.6gb");
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG_STATE)).isEqualTo(NvidiaLabels.STATE_PENDING);
        assertThat(failure("gpu-a").reason()).isEqualTo("MigLayoutMismatch");
        assertThat(failure("gpu-a").config()).isEqualTo(tried);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAYOUT_CHECK)).isEqualTo("pending");
        assertThat(events).singleElement().asString().startsWith("Warning MigLayoutMismatch gpu-a");
    }

    @Test
    void slicesTheDevicePluginAdvertisesAMomentAfterSuccessAreWaitedFor() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        MigManagerBackend backend = backend(1);
        pass(backend, plan(repartition("gpu-a", WHOLE)), snapshot(), NOW);
        String tried = label("gpu-a", NvidiaLabels.MIG_CONFIG);
        // The device plugin restarts after MIG Manager: for a moment the node still advertises the old slices.
        migManagerReports("gpu-a", NvidiaLabels.STATE_SUCCESS);
        events.clear();

        assertThat(pass(backend, plan(), snapshot(), NOW.plusSeconds(30))
                        .get("gpu-a")
                        .phase())
                .isEqualTo(Phase.VERIFYING);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo("all-1g.6gb");
        devicePluginAdvertises("gpu-a", Map.of("4g.24gb", 1));

        assertThat(pass(backend, plan(), snapshot(), NOW.plusSeconds(40))).doesNotContainKey("gpu-a");
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAST_GOOD_CONFIG)).isEqualTo(tried);
        assertThat(annotation("gpu-a", QuartetLabels.NODE_LAYOUT_CHECK)).isNull();
        assertThat(events).singleElement().asString().startsWith("Normal MigRepartitioned gpu-a");
    }

    @Test
    void migModeIsNeverTurnedOnUnlessAllowed() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(TestNodes.node(
                        "gpu-a",
                        "NVIDIA-A30",
                        2,
                        "all-disabled",
                        "success",
                        Map.of(NvidiaLabels.FULL_GPU_RESOURCE, new Quantity("2")))
                .build());
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot(), new InventoryBuilder.Owners(Map.of()), NOW);
        assertThat(inventory.state().nodes().get(0).gpus())
                .as("GPUs with MIG off are not capacity")
                .isEmpty();
        int writes = cluster.writes.size();

        // A plan that turns MIG on anyway (no planner makes one from this inventory): the node loop refuses it.
        NodeProgress progress = pass(backend(1), plan(repartition("gpu-a", 0, HALVES)), inventory, snapshot(), NOW)
                .get("gpu-a");

        assertThat(progress.phase()).isEqualTo(Phase.WAITING);
        assertThat(progress.message()).contains("turns MIG mode on for GPU(s) [0]", "allowMigModeChange is false");
        assertThat(cluster.writes).hasSize(writes);
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("all-disabled");
    }

    /** gpu-a: two A30s, GPU 0 at 1x 4g.24gb held by {@code big-0}, GPU 1 with MIG off. */
    private ClusterSnapshot halfOff() {
        migConfig(TestNodes.nvidiaDefault() + """

                  half-off:
                    - devices: [0]
                      mig-enabled: true
                      mig-devices:
                        "4g.24gb": 1
                    - devices: [1]
                      mig-enabled: false
                """);
        cluster.put(TestNodes.node(
                        "gpu-a",
                        "NVIDIA-A30",
                        2,
                        "half-off",
                        "success",
                        Map.of(
                                NvidiaLabels.resourceName("4g.24gb"),
                                new Quantity("1"),
                                NvidiaLabels.FULL_GPU_RESOURCE,
                                new Quantity("1")))
                .build());
        Pod big = replica("big", "big-0", "gpu-a", 0, "4g.24gb", 0);
        cluster.put(big);
        return new ClusterSnapshot(cluster.nodes(), List.of(big), migConfig(), null);
    }

    @Test
    void turningMigOnDrainsTheWholeNode() {
        ClusterSnapshot snapshot = halfOff();
        Inventory inventory = new InventoryBuilder(true, true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot, new InventoryBuilder.Owners(Map.of("ns/big", movable("big", "4g.24gb"))), NOW);
        assertThat(inventory.migOff("gpu-a")).containsExactly(1);
        assertThat(inventory.migOffUnused())
                .as("offered: every pod on the node may move")
                .isEmpty();

        NodeProgress progress = pass(
                        backend(1, Duration.ZERO, true),
                        plan(repartition("gpu-a", 1, HALVES)),
                        inventory,
                        snapshot,
                        NOW)
                .get("gpu-a");

        // GPU 0 keeps its layout in the plan, but the mode change of GPU 1 takes every instance of the node.
        assertThat(progress.phase()).isEqualTo(Phase.DRAINING);
        assertThat(progress.gpus()).containsExactly(0, 1);
        assertThat(progress.deployments()).containsExactly("ns/big");
        assertThat(progress.message()).contains("turning MIG mode on for GPU(s) [1]", "evicting ns/big-0");
        assertThat(cluster.writes).contains("evict pod/ns/big-0");
        String staged = annotation("gpu-a", QuartetLabels.NODE_CONFIG_STAGED);
        String config = staged.substring(0, staged.indexOf('@'));
        assertThat(migConfig().entryFor(config, 0, GpuModel.A30).orElseThrow().migDevices())
                .isEqualTo(Map.of("4g.24gb", 1));
        assertThat(migConfig().entryFor(config, 1, GpuModel.A30).orElseThrow().migDevices())
                .isEqualTo(Map.of("2g.12gb", 2));
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("half-off");
    }

    @Test
    void aModeChangeWaitsForAReplicaThatMayNotMove() {
        ClusterSnapshot snapshot = halfOff();
        Inventory inventory = new InventoryBuilder(true, true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(
                        snapshot,
                        new InventoryBuilder.Owners(Map.of(
                                "ns/big",
                                new Demand("ns/big", "4g.24gb", null, 1, 0, null, false, Placement.SPREAD, null))),
                        NOW);
        assertThat(inventory.migOffUnused().get("gpu-a")).contains("pod ns/big-0 may not be moved");

        NodeProgress progress = pass(
                        backend(1, Duration.ZERO, true),
                        plan(repartition("gpu-a", 1, HALVES)),
                        inventory,
                        snapshot,
                        NOW)
                .get("gpu-a");

        assertThat(progress.phase()).isEqualTo(Phase.WAITING);
        assertThat(progress.reason()).isEqualTo("BlockedByRunningReplicas");
        assertThat(progress.message()).contains("turning MIG mode on for GPU(s) [1]", "pod ns/big-0 may not be moved");
        assertThat(cluster.writes).noneMatch(w -> w.startsWith("evict"));
    }

    @Test
    void oneReplicaOfADeploymentIsEvictedAtATimeAcrossNodes() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());
        Pod a = replica("small", "small-0", "gpu-a", 0, "1g.6gb", 0);
        Pod b = replica("small", "small-1", "gpu-b", 0, "1g.6gb", 0);
        cluster.put(a);
        cluster.put(b);
        ClusterSnapshot snapshot = new ClusterSnapshot(cluster.nodes(), List.of(a, b), migConfig(), null);
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot, new InventoryBuilder.Owners(Map.of("ns/small", movable("small", "1g.6gb"))), NOW);

        // The same cached state for both nodes: from it, each could evict its replica of small now.
        pass(backend(2), plan(repartition("gpu-a", WHOLE), repartition("gpu-b", WHOLE)), inventory, snapshot, NOW);

        assertThat(cluster.writes).filteredOn(w -> w.startsWith("evict")).containsExactly("evict pod/ns/small-0");
        assertThat(cluster.pods.get("ns/small-1").getMetadata().getDeletionTimestamp())
                .isNull();
    }

    @Test
    void aStepTheApiServerRefusesNamesTheDeploymentsItsChangeAffects() {
        migConfig(TestNodes.nvidiaDefault());
        cluster.put(a30("gpu-a", "all-1g.6gb", "success").build());
        cluster.put(a30("gpu-b", "all-1g.6gb", "success").build());
        cluster.failNodePatches = 403;
        Plan plan = new Plan(
                List.of(repartition("gpu-a", WHOLE)),
                List.of(
                        new Assignment("ns/big", "gpu-a", 0, "4g.24gb", 0, false, null),
                        new Assignment("ns/bystander", "gpu-b", 0, "1g.6gb", 0, false, null)),
                List.of(),
                List.of(),
                List.of());
        ClusterSnapshot snapshot = snapshot();
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(snapshot, new InventoryBuilder.Owners(Map.of()), NOW);

        assertThatThrownBy(() -> backend(1).reconcileNode("gpu-a", plan, inventory, snapshot, NOW))
                .isInstanceOfSatisfying(MigBackend.StepFailed.class, e -> {
                    assertThat(e.report().reason()).isEqualTo("RepartitionStepFailed");
                    assertThat(e.report().deployments()).containsExactly("ns/big");
                    assertThat(e.report().message())
                            .contains("node gpu-a", "IDLE -> APPLYING", "is forbidden: patch refused");
                });
        assertThat(backend(1)
                        .reconcileNode("gpu-b", plan, inventory, snapshot, NOW)
                        .progress())
                .as("gpu-b changes nothing: no write, no failure")
                .isEmpty();
    }

    @Test
    void aReplicaWhoseSliceNobodyReportedIsNotBlamedForAChangeSelectedAfterTheDrain() {
        // gpu-a: GPU 0 at 4x 1g.6gb with tiny-0 on it (slice not reported), GPU 1 changed from 4g.24gb to
        // 4x 1g.6gb for phantom; MIG Manager failed. In the new layout GPU 1 has 1g.6gb slices too, but tiny-0 was
        // running before the change, which the drain only let through because tiny-0 could not be on GPU 1.
        migConfig(TestNodes.nvidiaDefault() + "\n" + TestNodes.PER_GPU_ENTRY + """
                  quartet-0000000001:
                    - devices: all
                      mig-enabled: true
                      mig-devices:
                        "1g.6gb": 4
                """);
        cluster.put(TestNodes.perGpuA30("gpu-a")
                .editMetadata()
                .addToLabels(NvidiaLabels.MIG_CONFIG, "quartet-0000000001")
                .addToLabels(NvidiaLabels.MIG_CONFIG_STATE, NvidiaLabels.STATE_FAILED)
                .addToAnnotations(QuartetLabels.NODE_CONFIG, "quartet-0000000001")
                .addToAnnotations(
                        QuartetLabels.NODE_CONFIG_REQUESTED_AT,
                        NOW.minusSeconds(60).toString())
                .addToAnnotations(QuartetLabels.NODE_LAST_GOOD_CONFIG, "per-gpu")
                .endMetadata()
                .build());
        Pod tiny = replica("tiny", "tiny-0", "gpu-a", 0, "1g.6gb", 0);
        tiny.getMetadata().getAnnotations().remove(QuartetLabels.MIG_DEVICE);
        ClusterSnapshot snapshot = new ClusterSnapshot(cluster.nodes(), List.of(tiny), migConfig(), null);
        Inventory inventory = new InventoryBuilder(true, InventoryBuilder.DEFAULT_LOST_AFTER)
                .build(
                        snapshot,
                        new InventoryBuilder.Owners(Map.of(
                                "ns/tiny", movable("tiny", "1g.6gb"), "ns/phantom", movable("phantom", "1g.6gb"))),
                        NOW);
        Plan plan = new Plan(
                List.of(),
                List.of(new Assignment("ns/phantom", "gpu-a", 1, "1g.6gb", 0, false, null)),
                List.of(),
                List.of(),
                List.of());

        NodeProgress progress = pass(backend(1), plan, inventory, snapshot, NOW).get("gpu-a");

        assertThat(progress.reason()).isEqualTo("MigManagerFailed");
        assertThat(progress.gpus()).containsExactly(1);
        assertThat(progress.deployments()).containsExactly("ns/phantom");
        assertThat(failure("gpu-a").deployments()).containsExactly("ns/phantom");
        assertThat(label("gpu-a", NvidiaLabels.MIG_CONFIG)).isEqualTo("per-gpu");
    }
}
