package dev.quartet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quartet.helm.ChartInstallation;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.sim.GpuNodeSimulator;
import dev.quartet.testsupport.LocalCluster;
import dev.quartet.testsupport.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator benchmark (docs/benchmarks.md, run by hack/bench-operator.sh), issue 18. For N deployments: N/4
 * simulated nodes of 4 A30 GPUs at 2x1g.6gb+1x2g.12gb (the default strict simulator), then
 *
 * <ol>
 *   <li>the floor: 2N plain pods asking for the same slices, created one by one by a trivial client, before the
 *       operator runs; time until all bound and all Ready; then deleted;
 *   <li>the operator, started as the chart runs it (values.yaml's JVM options, the container memory limit given to
 *       the JVM as {@code -XX:MaxRAM}); idle: 10 deployments Ready, resident memory 30 s later; deleted;
 *   <li>N deployments of 2 replicas, mixed profiles (1g.6gb : 2g.12gb : 4g.24gb about 65 : 33 : 2, the 4g.24gb ones
 *       need repartitions), created one by one: time until all pods bound and all Ready, the ratios to the floor,
 *       peak resident memory, reconciles, API requests per reconcile, plans and their duration;
 *   <li>steady state: 60 s with nothing changing, the operator's requests and writes;
 *   <li>the N deleted; a burst of 200 deployments created within about a second, scaled to 3, deleted: reconciles
 *       per deployment, and what is left behind.
 * </ol>
 *
 * <p>{@code OperatorBench [N]} (default 1000). Raw results: JSON into {@code QUARTET_BENCH_RESULTS} (a directory).
 */
public final class OperatorBench {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String LAYOUT = "2x1g.6gb+1x2g.12gb";
    private static final String MIG_CONFIGMAP = "mig-parted-config";
    /** The burst's size; smaller clusters get one they can hold at 3 replicas (1g.6gb, 8 per node). */
    private int burst = 200;

    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(
            Long.parseLong(System.getenv().getOrDefault("QUARTET_BENCH_PHASE_TIMEOUT_MINUTES", "20")));

    /** Which phases run (QUARTET_BENCH_PHASES, comma-separated; default all): floor, idle, main, steady, burst. */
    private static final List<String> PHASES = List.of(System.getenv()
            .getOrDefault("QUARTET_BENCH_PHASES", "floor,idle,main,steady,burst")
            .split(","));
    /** Below this much memory a JVM is not a "server class machine" and picks SerialGC rather than G1 (JDK 17). */
    private static final long SERVER_CLASS_MEMORY = (2048L - 256) << 20;

    private final Map<String, Object> results = new LinkedHashMap<>();
    private final String started = Instant.now().toString().substring(0, 16).replace(":", "") + "Z";
    private Path lastWritten;
    private final List<Map<String, Object>> loads = new ArrayList<>();
    private final Path audit = Path.of(System.getenv().getOrDefault("QUARTET_AUDIT_LOG", "target/audit.log"));
    private final LocalCluster cluster = LocalCluster.shared();
    private final KubernetesClient client = cluster.client();
    private OperatorProcess operator;
    private ChartInstallation chart;
    private String namespace;
    private long peakRss;

    private OperatorBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length == 0 ? 1000 : Integer.parseInt(args[0]);
        OperatorBench bench = new OperatorBench();
        try {
            bench.run(n);
        } finally {
            bench.write(n);
            if (bench.lastWritten != null) {
                System.out.println(Files.readString(bench.lastWritten));
            }
        }
        System.exit(0);
    }

    /** The profile of deployment {@code i}: 1g.6gb : 2g.12gb : 4g.24gb about 65 : 33 : 2. */
    static String profile(int i) {
        if (i % 50 == 49) {
            return "4g.24gb";
        }
        return i % 3 == 1 ? "2g.12gb" : "1g.6gb";
    }

    /** The floor's profile for deployment {@code i}'s pods: no 4g.24gb slice exists before a repartition. */
    static String floorProfile(int i) {
        String p = profile(i);
        return p.equals("4g.24gb") ? "2g.12gb" : p;
    }

    private void run(int n) throws Exception {
        int nodes = Math.max(1, (n + 3) / 4);
        burst = Math.min(200, 2 * nodes);
        results.put("deployments", n);
        results.put("nodes", nodes);
        results.put("gpusPerNode", 4);
        results.put("layout", LAYOUT);
        results.put("simulatorFlags", System.getenv().getOrDefault("QUARTET_SIM_FLAGS", "(default: --strict)"));
        OperatorTestBed.installCrd(cluster);
        namespace = cluster.createNamespace("bench");
        long t0 = System.nanoTime();
        GpuNodeSimulator sim = cluster.startSimulator(o ->
                o.withNodes(nodes).withGpusPerNode(4).withLayout(LAYOUT).withMigConfigMap(namespace, MIG_CONFIGMAP));
        sim.setConfigFileLag(OperatorTestBed.CONFIG_FILE_LAG);
        results.put("simulatorStartSeconds", secondsSince(t0));
        log("simulator: %d nodes Ready after %.1f s", nodes, secondsSince(t0));
        results.put("phases", PHASES);
        try {
            // the raw results are rewritten after every phase, so a run stopped half-way keeps what it measured
            if (PHASES.contains("floor")) {
                floor(n);
                write(n);
            }
            startOperator();
            if (PHASES.contains("idle")) {
                idle();
                write(n);
            }
            if (PHASES.contains("main")) {
                main(n);
                write(n);
                if (PHASES.contains("steady")) {
                    steady();
                    write(n);
                }
                deleteAll("main");
            }
            if (PHASES.contains("burst")) {
                burst();
            }
        } finally {
            if (operator != null) {
                operator.close();
            }
            if (chart != null) {
                chart.close();
            }
            sim.close();
        }
    }

    // ---- the floor ----

    private void floor(int n) throws Exception {
        String ns = cluster.createNamespace("floor");
        try (Watched w = new Watched(client, ns)) {
            long start = System.nanoTime();
            for (int i = 0; i < 2 * n; i++) {
                Pod p = TestPods.pod(
                        ns, "p" + i, "unused", "busybox", Map.of("nvidia.com/mig-" + floorProfile(i / 2), 1));
                p.getSpec().setNodeSelector(null);
                client.pods().inNamespace(ns).resource(p).create();
            }
            double created = secondsSince(start);
            double[] t = w.awaitPods(2 * n, start);
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("pods", 2 * n);
            f.put("createdSeconds", created);
            f.put("allBoundSeconds", t[0]);
            f.put("allReadySeconds", t[1]);
            f.put("bound95Seconds", w.bound95);
            f.put("ready95Seconds", w.ready95);
            f.put("load", load("floor"));
            results.put("floor", f);
            log(
                    "floor: %d plain pods created in %.1f s, all bound %.1f s, all Ready %.1f s",
                    2 * n, created, t[0], t[1]);
            long del = System.nanoTime();
            client.pods().inNamespace(ns).delete();
            await("floor pods gone", () -> w.pods.getStore().list().isEmpty());
            f.put("deletedSeconds", secondsSince(del));
        }
        cluster.deleteNamespace(ns);
    }

    // ---- the operator ----

    private void startOperator() throws Exception {
        chart = ChartInstallation.install(
                cluster,
                namespace,
                Map.of(
                        "watchNamespaces",
                        List.of(namespace),
                        "migManager",
                        Map.of("namespace", namespace, "configMapName", MIG_CONFIGMAP, "configPropagationDelay", "3s"),
                        "workerImage",
                        "quartet-worker:test",
                        "logLevel",
                        "INFO",
                        "webhook",
                        ChartInstallation.localWebhook()));
        List<String> jvm = new ArrayList<>();
        long limit = chart.memoryLimitBytes();
        if (limit > 0) {
            // in a container the JVM sizes itself from the cgroup limit; here the same number comes from MaxRAM
            jvm.add("-XX:MaxRAM=" + limit);
        }
        String chartOptions = chart.javaToolOptions().trim();
        if (limit > 0 && limit < SERVER_CLASS_MEMORY && !chartOptions.matches(".*-XX:\\+Use\\w+GC.*")) {
            // -XX:MaxRAM sizes the heap but not the collector: in a container under this limit the JVM sees less
            // physical memory than a "server class machine" has and picks SerialGC; outside one it would pick G1
            jvm.add("-XX:+UseSerialGC");
        }
        for (String o : chartOptions.split("\\s+")) {
            if (!o.isEmpty()) {
                jvm.add(o);
            }
        }
        String extra = System.getenv()
                .getOrDefault("QUARTET_BENCH_OPERATOR_JVM_EXTRA", "")
                .trim();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.split("\\s+")));
        }
        results.put("operatorJvmOptions", jvm);
        results.put("chartMemoryLimitBytes", limit);
        operator = OperatorProcess.start(
                chart.serviceAccountKubeconfig(),
                namespace,
                chart.operatorEnvironment(),
                Path.of("target/it-logs", namespace).toAbsolutePath(),
                jvm);
        await("operator listening", () -> port() > 0);
        log("operator up with %s", jvm);
    }

    private void idle() throws Exception {
        try (Watched w = new Watched(client, namespace)) {
            for (int i = 0; i < 10; i++) {
                create("idle-" + i, "1g.6gb", 2);
            }
            w.awaitReady(10, 2, System.nanoTime());
            Thread.sleep(30_000);
            long rss = 0;
            for (int i = 0; i < 10; i++) {
                rss = Math.max(rss, rssKiB());
                Thread.sleep(1000);
            }
            Map<String, Object> idle = new LinkedHashMap<>();
            idle.put("deployments", 10);
            idle.put("rssMiB", rss / 1024.0);
            idle.put("target", "< 160 MiB");
            idle.put("metrics", jvmMetrics());
            idle.put("nativeMemory", nativeMemory());
            idle.put("load", load("idle"));
            results.put("idle", idle);
            log("idle: 10 deployments, operator RSS %.1f MiB", rss / 1024.0);
        }
        deleteAll("idle");
    }

    private void main(int n) throws Exception {
        try (Watched w = new Watched(client, namespace)) {
            Requests auditBefore = requests(null);
            double reconcilesBefore = metric("quartet_reconcile_seconds_count");
            double plansBefore = metric("quartet_plan_duration_seconds_count");
            double planSecondsBefore = metric("quartet_plan_duration_seconds_sum");
            peakRss = 0;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                create("d" + i, profile(i), 2);
                peakRss = Math.max(peakRss, rssKiB());
            }
            double created = secondsSince(start);
            double[] t;
            try {
                t = w.awaitReady(n, 2, start);
            } catch (PhaseTimeout e) {
                // record where it stood (the figures below then cover the whole timeout)
                results.put("mainTimedOut", e.getMessage());
                log("main: %s", e.getMessage());
                t = new double[] {Double.NaN, Double.NaN};
            }
            double elapsed = secondsSince(start);
            Thread.sleep(3000); // let the last status patches land before counting
            peakRss = Math.max(peakRss, rssKiB());
            double reconciled = metric("quartet_reconcile_seconds_count") - reconcilesBefore;
            Requests auditAfter = requests(null);
            long requests = auditAfter.total - auditBefore.total;
            double plans = metric("quartet_plan_duration_seconds_count") - plansBefore;
            double planSeconds = metric("quartet_plan_duration_seconds_sum") - planSecondsBefore;
            @SuppressWarnings("unchecked")
            Map<String, Object> floor = (Map<String, Object>)
                    results.getOrDefault("floor", Map.of("allBoundSeconds", Double.NaN, "allReadySeconds", Double.NaN));
            double floorBound = (double) floor.get("allBoundSeconds");
            double floorReady = (double) floor.get("allReadySeconds");
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("deployments", n);
            m.put("pods", 2 * n);
            m.put("createdSeconds", created);
            m.put("allBoundSeconds", t[0]);
            m.put("allReadySeconds", t[1]);
            m.put("boundRatioToFloor", t[0] / floorBound);
            m.put("readyRatioToFloor", t[1] / floorReady);
            double floorBound95 = ((Number) floor.getOrDefault("bound95Seconds", Double.NaN)).doubleValue();
            double floorReady95 = ((Number) floor.getOrDefault("ready95Seconds", Double.NaN)).doubleValue();
            m.put("bound95Seconds", w.bound95);
            m.put("ready95Seconds", w.ready95);
            m.put("bound95RatioToFloor95", w.bound95 / floorBound95);
            m.put("ready95RatioToFloor95", w.ready95 / floorReady95);
            m.put("peakRssMiB", peakRss / 1024.0);
            m.put("reconciles", reconciled);
            m.put("apiRequests", requests);
            m.put("apiRequestsPerReconcile", requests / Math.max(1, reconciled));
            m.put("apiRequestsByVerbAndResource", diff(auditAfter.byKind, auditBefore.byKind));
            m.put("plans", plans);
            m.put("planSecondsMean", plans > 0 ? planSeconds / plans : 0);
            m.put("planSecondsMax", metric("quartet_plan_duration_seconds_max"));
            m.put("plansPerMinute", plans / (elapsed / 60));
            m.put("repartitions", repartitionsSeen());
            m.put("metrics", jvmMetrics());
            m.put("nativeMemory", nativeMemory());
            m.put("load", load("main"));
            results.put("main", m);
            log(
                    "main: %d deployments (%d pods) created in %.1f s; all bound %.1f s (%.2fx floor), all Ready %.1f s"
                            + " (%.2fx floor); peak RSS %.1f MiB; %d reconciles, %d requests (%.2f per reconcile);"
                            + " %.0f plans (%.1f per minute, mean %.1f ms)",
                    n,
                    2 * n,
                    created,
                    t[0],
                    t[0] / floorBound,
                    t[1],
                    t[1] / floorReady,
                    peakRss / 1024.0,
                    (long) reconciled,
                    requests,
                    requests / Math.max(1, reconciled),
                    plans,
                    plans / (elapsed / 60),
                    plans > 0 ? 1000 * planSeconds / plans : 0);
            log(
                    "main: 95 %% of pods bound %.1f s (%.2fx the floor's 95 %%), 95 %% of deployments Ready %.1f s (%.2fx)",
                    w.bound95, w.bound95 / floorBound95, w.ready95, w.ready95 / floorReady95);
            log("main: requests by verb and resource %s", m.get("apiRequestsByVerbAndResource"));
            log("main: JVM %s; native %s", m.get("metrics"), m.get("nativeMemory"));
        }
    }

    private void steady() throws Exception {
        Thread.sleep(30_000);
        Requests before = requests(null);
        double reconcilesBefore = metric("quartet_reconcile_seconds_count");
        long start = System.nanoTime();
        long rss = 0;
        while (secondsSince(start) < 60) {
            rss = Math.max(rss, rssKiB());
            Thread.sleep(1000);
        }
        double seconds = secondsSince(start);
        Requests after = requests(null);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("seconds", seconds);
        s.put("requests", after.total - before.total);
        s.put("requestsPerSecond", (after.total - before.total) / seconds);
        s.put("writes", after.writes - before.writes);
        s.put("leaseWrites", after.leaseWrites - before.leaseWrites);
        s.put("writesOtherThanLeaderLease", (after.writes - before.writes) - (after.leaseWrites - before.leaseWrites));
        s.put("byVerbAndResource", diff(after.byKind, before.byKind));
        s.put("reconciles", metric("quartet_reconcile_seconds_count") - reconcilesBefore);
        s.put("rssMiB", rss / 1024.0);
        s.put("load", load("steady"));
        results.put("steady", s);
        log(
                "steady: %.0f s, %d requests (%.2f/s), %d writes (%d of them the leader lease), RSS %.1f MiB; %s",
                seconds,
                after.total - before.total,
                (after.total - before.total) / seconds,
                after.writes - before.writes,
                after.leaseWrites - before.leaseWrites,
                rss / 1024.0,
                s.get("byVerbAndResource"));
    }

    private void deleteAll(String phase) throws Exception {
        long start = System.nanoTime();
        // one DELETE each: a delete of the whole collection of 1,000 outlasted the client's 30 s request timeout
        for (InferenceDeployment d : client.resources(InferenceDeployment.class)
                .inNamespace(namespace)
                .list()
                .getItems()) {
            client.resources(InferenceDeployment.class)
                    .inNamespace(namespace)
                    .withName(d.getMetadata().getName())
                    .delete();
        }
        await(
                phase + " deleted",
                () -> managedPods().isEmpty()
                        && client.resources(InferenceDeployment.class)
                                .inNamespace(namespace)
                                .list()
                                .getItems()
                                .isEmpty());
        results.put(phase + "DeletedSeconds", secondsSince(start));
        log("%s: all deleted, no replica left after %.1f s", phase, secondsSince(start));
    }

    private void burst() throws Exception {
        Map<String, Object> b = new LinkedHashMap<>();
        try (Watched w = new Watched(client, namespace)) {
            double reconcilesBefore = metric("quartet_reconcile_seconds_count");
            long requestsBefore = requests(null).total;
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(32);
            List<Future<?>> created = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
                String name = "b" + i;
                created.add(pool.submit(() -> create(name, "1g.6gb", 2)));
            }
            for (Future<?> f : created) {
                f.get();
            }
            b.put("deployments", burst);
            b.put("createdSeconds", secondsSince(start));
            double[] t = w.awaitReady(burst, 2, start);
            b.put("allReadySeconds", t[1]);
            double afterCreate = metric("quartet_reconcile_seconds_count");
            b.put("reconcilesPerDeploymentCreate", (afterCreate - reconcilesBefore) / burst);
            long scale = System.nanoTime();
            List<Future<?>> scaled = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
                String name = "b" + i;
                // a merge patch of the field, as `kubectl scale` would send: an edit carries the resourceVersion
                // it read and fails with 409 when the operator patched the status in between
                scaled.add(pool.submit(() -> client.resources(InferenceDeployment.class)
                        .inNamespace(namespace)
                        .withName(name)
                        .patch(
                                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                                        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                                "{\"spec\":{\"replicas\":3}}")));
            }
            for (Future<?> f : scaled) {
                f.get();
            }
            b.put("scaledSeconds", secondsSince(scale));
            double[] s = w.awaitReady(burst, 3, scale);
            b.put("scaledAllReadySeconds", s[1]);
            double afterScale = metric("quartet_reconcile_seconds_count");
            b.put("reconcilesPerDeploymentScale", (afterScale - afterCreate) / burst);
            long del = System.nanoTime();
            for (int i = 0; i < burst; i++) {
                client.resources(InferenceDeployment.class)
                        .inNamespace(namespace)
                        .withName("b" + i)
                        .delete();
            }
            await(
                    "burst deleted",
                    () -> w.pods.getStore().list().stream()
                            .noneMatch(p -> p.getMetadata().getLabels() != null
                                    && QuartetLabels.MANAGED_BY_VALUE.equals(
                                            p.getMetadata().getLabels().get(QuartetLabels.MANAGED_BY))));
            b.put("deletedSeconds", secondsSince(del));
            Thread.sleep(5000);
            double afterDelete = metric("quartet_reconcile_seconds_count");
            b.put("reconcilesPerDeploymentDelete", (afterDelete - afterScale) / burst);
            b.put("reconcilesPerDeployment", (afterDelete - reconcilesBefore) / burst);
            b.put("apiRequests", requests(null).total - requestsBefore);
            pool.shutdown();
        }
        Map<String, Integer> left = new LinkedHashMap<>();
        left.put("pods", managedPods().size());
        left.put(
                "services",
                client.services()
                        .inNamespace(namespace)
                        .withLabel(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                        .list()
                        .getItems()
                        .size());
        left.put(
                "podDisruptionBudgets",
                client.policy()
                        .v1()
                        .podDisruptionBudget()
                        .inNamespace(namespace)
                        .withLabel(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                        .list()
                        .getItems()
                        .size());
        left.put(
                "inferenceDeployments",
                client.resources(InferenceDeployment.class)
                        .inNamespace(namespace)
                        .list()
                        .getItems()
                        .size());
        b.put("leftBehind", left);
        b.put("load", load("burst"));
        results.put("burst", b);
        log("burst: %s", b);
    }

    // ---- helpers ----

    private InferenceDeployment create(String name, String profile, int replicas) {
        InferenceDeployment d = TestDeployments.of(name, profile, replicas);
        d.getMetadata().setNamespace(namespace);
        return client.resources(InferenceDeployment.class)
                .inNamespace(namespace)
                .resource(d)
                .create();
    }

    private List<Pod> managedPods() {
        return client.pods()
                .inNamespace(namespace)
                .withLabel(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .list()
                .getItems();
    }

    /** Pods and InferenceDeployments of one namespace from informers (polling lists would load the API server). */
    private final class Watched implements AutoCloseable {
        final SharedIndexInformer<Pod> pods;
        final SharedIndexInformer<InferenceDeployment> deployments;
        /**
         * Seconds until 95 % of the pods were bound and until 95 % were Ready (pods for the floor, deployments for
         * the operator): kept when a phase times out, and free of the tail of the few replicas that wait for a
         * repartition (the chart's default repartitions one node at a time).
         */
        double bound95 = Double.NaN;

        double ready95 = Double.NaN;

        Watched(KubernetesClient client, String ns) {
            pods = client.pods().inNamespace(ns).inform();
            deployments =
                    client.resources(InferenceDeployment.class).inNamespace(ns).inform();
        }

        /** Seconds from {@code start} until {@code count} pods are bound and until they are all Running and Ready. */
        double[] awaitPods(int count, long start) throws InterruptedException {
            double bound = -1;
            double ready = -1;
            while (ready < 0) {
                List<Pod> all = pods.getStore().list();
                long boundPods = all.stream().filter(PodFacts::isBound).count();
                long readyPods =
                        all.stream().filter(TestPods::isRunningAndReady).count();
                mark95(boundPods, readyPods, count, start);
                if (bound < 0 && boundPods >= count) {
                    bound = secondsSince(start);
                }
                if (readyPods >= count) {
                    ready = secondsSince(start);
                }
                check(start, all.stream().filter(PodFacts::isBound).count() + " of " + count + " bound");
                Thread.sleep(250);
            }
            return new double[] {bound, ready};
        }

        /** Seconds from {@code start} until all replicas are bound and until {@code count} deployments report Ready. */
        double[] awaitReady(int count, int replicas, long start) throws InterruptedException {
            double bound = -1;
            double ready = -1;
            while (ready < 0) {
                long boundPods = pods.getStore().list().stream()
                        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                        .filter(PodFacts::isBound)
                        .count();
                if (bound < 0 && boundPods >= (long) count * replicas) {
                    bound = secondsSince(start);
                }
                List<InferenceDeployment> ds = deployments.getStore().list();
                long readyDeployments = ds.stream()
                        .filter(d -> d.getStatus() != null
                                && Integer.valueOf(replicas)
                                        .equals(d.getStatus().getReadyReplicas()))
                        .count();
                if (ds.size() >= count) {
                    mark95(boundPods / (double) replicas, readyDeployments, count, start);
                }
                if (ds.size() >= count && readyDeployments >= count) {
                    ready = secondsSince(start);
                }
                peakRss = Math.max(peakRss, rssKiB());
                check(start, boundPods + " pods bound, " + readyDeployments + " of " + count + " deployments Ready");
                Thread.sleep(250);
            }
            return new double[] {bound, ready};
        }

        private void mark95(double bound, double ready, int count, long start) {
            if (Double.isNaN(bound95) && bound >= 0.95 * count) {
                bound95 = secondsSince(start);
            }
            if (Double.isNaN(ready95) && ready >= 0.95 * count) {
                ready95 = secondsSince(start);
            }
        }

        private void check(long start, String state) {
            double s = secondsSince(start);
            if (s > PHASE_TIMEOUT.toSeconds()) {
                throw new PhaseTimeout("not done after " + PHASE_TIMEOUT + ": " + state);
            }
            if ((long) (s * 4) % 120 == 0) { // every 30 s
                log("  %.0f s: %s, operator RSS %.1f MiB", s, state, rssKiB() / 1024.0);
            }
        }

        @Override
        public void close() {
            pods.close();
            deployments.close();
        }
    }

    /** A phase that did not finish in time; the run records it and goes on with the next phase. */
    static final class PhaseTimeout extends IllegalStateException {
        PhaseTimeout(String message) {
            super(message);
        }
    }

    private void await(String what, BooleanSupplier done) throws InterruptedException {
        long start = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (secondsSince(start) > PHASE_TIMEOUT.toSeconds()) {
                throw new IllegalStateException(what + ": not after " + PHASE_TIMEOUT);
            }
            Thread.sleep(500);
        }
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    private static void log(String format, Object... args) {
        System.out.printf("[bench %s] %s%n", Instant.now().toString().substring(11, 19), String.format(format, args));
        System.out.flush();
    }

    private Map<String, Object> load(String phase) {
        Map<String, Object> l = new LinkedHashMap<>();
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            l.put("phase", phase);
            l.put("at", Instant.now().toString());
            l.put("loadavg1", Double.parseDouble(f[0]));
            l.put("loadavg5", Double.parseDouble(f[1]));
            l.put("loadavg15", Double.parseDouble(f[2]));
        } catch (IOException e) {
            l.put("error", e.toString());
        }
        loads.add(l);
        return l;
    }

    private long rssKiB() {
        if (operator == null) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + operator.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    private int port() {
        Matcher m = Pattern.compile("Listening on: http://[^:]+:(\\d+)").matcher(operator.logText());
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1));
        }
        return port;
    }

    private String metricsText() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/q/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The sum of every series of {@code name} (all label sets) in /q/metrics; max for a _max series. */
    private double metric(String name) {
        double total = 0;
        for (String line : metricsText().lines().toList()) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                total = name.endsWith("_max") ? Math.max(total, v) : total + v;
            }
        }
        return total;
    }

    /** JVM memory figures from /q/metrics (heap used and committed, non-heap, threads). */
    private Map<String, Object> jvmMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("heapUsedMiB", metricWhere("jvm_memory_used_bytes", "area=\"heap\"") / 1048576);
        m.put("heapCommittedMiB", metricWhere("jvm_memory_committed_bytes", "area=\"heap\"") / 1048576);
        m.put("nonHeapCommittedMiB", metricWhere("jvm_memory_committed_bytes", "area=\"nonheap\"") / 1048576);
        m.put("heapMaxMiB", metricWhere("jvm_memory_max_bytes", "area=\"heap\"") / 1048576);
        m.put("threads", metric("jvm_threads_live_threads"));
        return m;
    }

    private double metricWhere(String name, String label) {
        double total = 0;
        for (String line : metricsText().lines().toList()) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (v > 0) {
                    total += v;
                }
            }
        }
        return total;
    }

    /** With -XX:NativeMemoryTracking=summary among the operator's JVM options: jcmd's committed memory per area. */
    private List<String> nativeMemory() {
        List<String> out = new ArrayList<>();
        try {
            Process p = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "jcmd")
                                    .toString(),
                            Long.toString(operator.pid()),
                            "VM.native_memory",
                            "summary")
                    .redirectErrorStream(true)
                    .start();
            String text = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            for (String line : text.lines().toList()) {
                String t = line.trim();
                if (t.startsWith("Total:") || (t.startsWith("-") && t.contains("committed="))) {
                    out.add(t.replaceAll("\\s+", " "));
                }
            }
        } catch (IOException e) {
            out.add(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    private long repartitionsSeen() {
        Matcher m = Pattern.compile("(?i)repartition").matcher(operator.logText());
        long count = 0;
        while (m.find()) {
            count++;
        }
        return count;
    }

    /** Completed non-watch requests of the operator's ServiceAccount in the audit log. */
    private record Requests(long total, long writes, long leaseWrites, Map<String, Long> byKind) {}

    private Requests requests(String unused) throws IOException {
        if (!Files.exists(audit)) {
            return new Requests(-1, -1, -1, Map.of());
        }
        String user = "system:serviceaccount:" + namespace + ":" + chart.serviceAccountName();
        long total = 0;
        long writes = 0;
        long leases = 0;
        Map<String, Long> byKind = new java.util.TreeMap<>();
        ObjectMapper json = new ObjectMapper();
        try (var lines = Files.lines(audit)) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (!line.contains(user)) {
                    continue;
                }
                JsonNode e = json.readTree(line);
                String verb = e.path("verb").asText();
                if (user.equals(e.path("user").path("username").asText())
                        && "ResponseComplete".equals(e.path("stage").asText())
                        && !"watch".equals(verb)) {
                    total++;
                    String resource = e.path("objectRef").path("resource").asText();
                    String sub = e.path("objectRef").path("subresource").asText();
                    byKind.merge(verb + " " + resource + (sub.isEmpty() ? "" : "/" + sub), 1L, Long::sum);
                    if (!verb.equals("get") && !verb.equals("list")) {
                        writes++;
                        if (resource.equals("leases")) {
                            leases++;
                        }
                    }
                }
            }
        }
        return new Requests(total, writes, leases, byKind);
    }

    private static Map<String, Long> diff(Map<String, Long> after, Map<String, Long> before) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((k, v) -> {
            long x = v - before.getOrDefault(k, 0L);
            if (x != 0) {
                d.put(k, x);
            }
        });
        return d;
    }

    private void write(int n) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "hack/bench-operator.sh " + n);
        out.put("commit", System.getenv().getOrDefault("QUARTET_BENCH_COMMIT", "unknown"));
        out.put(
                "machine",
                Map.of(
                        "cpus", Runtime.getRuntime().availableProcessors(),
                        "memTotal", memTotal(),
                        "java", System.getProperty("java.version")));
        out.put("finished", Instant.now().toString());
        out.putAll(results);
        out.put("loadAverages", loads);
        String json = JSON.writeValueAsString(out);
        String dir = System.getenv("QUARTET_BENCH_RESULTS");
        if (dir == null) {
            System.out.println(json);
            return;
        }
        Path file = Path.of(dir, "operator-" + n + "-" + started + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, json + "\n");
        lastWritten = file;
        log("raw results: %s", file);
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
