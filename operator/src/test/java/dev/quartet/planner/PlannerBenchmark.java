package dev.quartet.planner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quartet.nvidia.GpuModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The planner benchmark (hack/bench-planner.sh): plan time and plan quality of Quartet's planner against a
 * first-fit placer and a start-slot-ignoring multiset packer on the same scenarios. Prints a Markdown table, with
 * each row's lower bound on stranded slices ({@link StrandingBound}) beside its stranded count; with
 * {@code --results=FILE} also writes every row as JSON, with the machine, load average, commit and settings
 * ({@code --commit=}, {@code --load-at-start=}, as hack/bench-planner.sh passes them).
 */
public final class PlannerBenchmark {

    private static final int WARMUP = 3;
    private static final int RUNS = 7;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final List<String> STRANDED_ROWS = new ArrayList<>();
    private static final List<Map<String, Object>> RAW = new ArrayList<>();

    private PlannerBenchmark() {}

    public static void main(String[] args) throws IOException {
        String which = "all";
        Map<String, String> flags = new LinkedHashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--") && arg.contains("=")) {
                flags.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else {
                which = arg;
            }
        }
        Instant started = Instant.now();
        List<BenchScenarios.Scenario> scenarios = scenarios(which);
        System.out.println("| scenario | GPUs | demands | planner | wall ms: median (min-max) | CPU ms: median |"
                + " satisfied / wanted | GPUs repartitioned | nodes repartitioned | stranded slices |"
                + " stranded lower bound | moved |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        MigPlanner strict = new MigPlanner(new MigPlanner.Options(0));
        for (BenchScenarios.Scenario scenario : scenarios) {
            run(scenario, "Quartet", WARMUP, RUNS, () -> new MigPlanner().plan(scenario.state(), scenario.demands()));
            run(scenario, "Quartet, idle-GPU cover off", 1, 3, () -> strict.plan(scenario.state(), scenario.demands()));
            Plan firstFit = run(
                    scenario,
                    "first-fit",
                    0,
                    1,
                    () -> new FirstFitBaseline().plan(scenario.state(), scenario.demands()));
            Plan packer = run(
                    scenario,
                    "multiset packer",
                    0,
                    1,
                    () -> new MultisetPackerBaseline().plan(scenario.state(), scenario.demands()));
            atBaselineReplicas(scenario, "first-fit", firstFit);
            atBaselineReplicas(scenario, "multiset packer", packer);
        }
        System.out.println();
        System.out.println("| scenario | planner | stranded slices | on GPUs it repartitions |"
                + " on GPUs running or foreign replicas pin | on idle GPUs whose layout it uses as is |"
                + " where an instance would still fit |");
        System.out.println("|---|---|---|---|---|---|---|");
        STRANDED_ROWS.forEach(System.out::println);
        if (flags.containsKey("results")) {
            writeResults(Path.of(flags.get("results")), which, flags, started);
        }
    }

    private static void writeResults(Path file, String which, Map<String, String> flags, Instant started)
            throws IOException {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("benchmark", "planner");
        results.put("started", started.toString());
        results.put("written", Instant.now().toString());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("cpu", cpuName());
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        results.put("machine", machine);
        results.put("load_average_at_start", flags.getOrDefault("load-at-start", ""));
        results.put("load_average_at_end", loadAverage());
        results.put("commit", flags.getOrDefault("commit", ""));
        results.put(
                "settings",
                "scenarios " + which + "; Quartet " + WARMUP + " warm-up + " + RUNS
                        + " timed plans, other Quartet rows 1"
                        + " + 3, baselines 1 run; JVM "
                        + ManagementFactory.getRuntimeMXBean().getInputArguments()
                        + "; idleGpuCoverMinSlices default " + MigPlanner.Options.DEFAULT.idleGpuCoverMinSlices()
                        + "; stranded lower bound: StrandingBound (LP relaxation, ojAlgo)");
        results.put("rows", RAW);
        Files.createDirectories(file.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), results);
        System.err.println("raw results written to " + file);
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String cpuName() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Where a baseline places fewer replicas than asked, Quartet again with each demand asking for what that
     * baseline placed of it: plan quality at the same replicas (stranding grows with the replicas placed).
     */
    private static void atBaselineReplicas(BenchScenarios.Scenario scenario, String name, Plan baseline) {
        long wanted = scenario.demands().stream().mapToLong(Demand::replicas).sum();
        if (baseline.assignments().size() == wanted) {
            return;
        }
        Map<String, Integer> placed = new HashMap<>();
        baseline.assignments().forEach(a -> placed.merge(a.demand(), 1, Integer::sum));
        List<Demand> demands = scenario.demands().stream()
                .map(d -> new Demand(
                        d.name(),
                        d.profile(),
                        d.memoryGiB(),
                        placed.getOrDefault(d.name(), 0),
                        d.priority(),
                        d.gpuModel(),
                        d.movable(),
                        d.placement(),
                        d.eligibleNodes()))
                .toList();
        BenchScenarios.Scenario capped = new BenchScenarios.Scenario(scenario.name(), scenario.state(), demands);
        run(
                capped,
                "Quartet, asked for " + name + "'s replicas",
                1,
                3,
                () -> new MigPlanner().plan(capped.state(), capped.demands()));
    }

    static List<BenchScenarios.Scenario> scenarios(String which) {
        List<BenchScenarios.Scenario> all = new ArrayList<>();
        List<GpuModel> a30 = List.of(GpuModel.A30);
        all.add(BenchScenarios.generate("a30-10n", 10, 8, a30, 20, 0.7, 1));
        all.add(BenchScenarios.generate("a30-100n", 100, 8, a30, 200, 0.7, 2));
        all.add(BenchScenarios.generate("a30-1000n", 1000, 8, a30, 2000, 0.7, 3));
        all.add(BenchScenarios.generate("a30-1000n-oversubscribed", 1000, 8, a30, 2000, 1.3, 4));
        all.add(BenchScenarios.generate("mixed-1000n", 1000, 8, GpuModel.builtIns(), 2000, 0.8, 5));
        return all.stream()
                .filter(s -> which.equals("all") || s.name().equals(which))
                .toList();
    }

    /** Times {@code runs} plans after {@code warmup} (wall clock, and CPU time of this thread). */
    private static Plan run(
            BenchScenarios.Scenario scenario, String planner, int warmup, int runs, Supplier<Plan> plan) {
        Plan result = null;
        for (int i = 0; i < warmup; i++) {
            result = plan.get();
        }
        long[] millis = new long[runs];
        long[] cpu = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            long cpuStart = THREADS.getCurrentThreadCpuTime();
            result = plan.get();
            millis[i] = (System.nanoTime() - start) / 1_000_000;
            cpu[i] = (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1_000_000;
        }
        Arrays.sort(millis);
        Arrays.sort(cpu);
        PlanQuality quality = PlanQuality.of(scenario.state(), scenario.demands(), result);
        // The bound for plans with this row's replicas that move no more than it: none when it moves none.
        StrandingBound.Result anyMoves = StrandingBound.of(scenario.state(), scenario.demands(), result, true);
        StrandingBound.Result bound = quality.moved() == 0
                ? StrandingBound.of(scenario.state(), scenario.demands(), result, false)
                : anyMoves;
        int gpus =
                scenario.state().nodes().stream().mapToInt(n -> n.gpus().size()).sum();
        System.out.println(String.format(
                Locale.ROOT,
                "| %s | %d | %d | %s | %d (%d-%d) | %d | %d / %d | %d | %d | %d | %s | %d |",
                scenario.name(),
                gpus,
                scenario.demands().size(),
                planner,
                millis[runs / 2],
                millis[0],
                millis[runs - 1],
                cpu[runs / 2],
                quality.satisfied(),
                quality.wanted(),
                quality.repartitioned(),
                quality.nodesRepartitioned(),
                quality.stranded(),
                bound.bound() < 0 ? "n/a (" + bound.state() + ")" : Long.toString(bound.bound()),
                quality.moved()));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", scenario.name());
        row.put("gpus", gpus);
        row.put("demands", scenario.demands().size());
        row.put("planner", planner);
        row.put("warmup_runs", warmup);
        row.put("timed_runs", runs);
        row.put("wall_ms_sorted", millis);
        row.put("cpu_ms_sorted", cpu);
        row.put("satisfied", quality.satisfied());
        row.put("wanted", quality.wanted());
        row.put("gpus_repartitioned", quality.repartitioned());
        row.put("nodes_repartitioned", quality.nodesRepartitioned());
        row.put("stranded", quality.stranded());
        row.put("stranded_lower_bound", bound.bound());
        row.put("stranded_lower_bound_moves_allowed", anyMoves.bound());
        row.put("stranded_lower_bound_with_no_move", quality.moved() == 0);
        row.put("stranded_on_pinned_gpus_in_bound", bound.pinned());
        row.put("bound_lp_value", bound.lp());
        row.put("bound_lp_columns", bound.columns());
        row.put("bound_ms", bound.millis());
        row.put("stranded_on_repartitioned", quality.strandedOnRepartitioned());
        row.put("stranded_on_pinned", quality.strandedOnPinned());
        row.put("stranded_on_idle_as_is", quality.strandedOnIdleAsIs());
        row.put("stranded_where_an_instance_fits", quality.strandedWhereAnInstanceFits());
        row.put("moved", quality.moved());
        row.put("load_average_after_row", loadAverage());
        RAW.add(row);
        STRANDED_ROWS.add(String.format(
                Locale.ROOT,
                "| %s | %s | %d | %d | %d | %d | %d |",
                scenario.name(),
                planner,
                quality.stranded(),
                quality.strandedOnRepartitioned(),
                quality.strandedOnPinned(),
                quality.strandedOnIdleAsIs(),
                quality.strandedWhereAnInstanceFits()));
        return result;
    }
}
