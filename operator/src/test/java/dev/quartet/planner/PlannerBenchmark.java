package dev.quartet.planner;

import dev.quartet.nvidia.GpuModel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The planner benchmark (hack/bench-planner.sh): plan time and plan quality of Quartet's planner against a
 * first-fit placer and a start-slot-ignoring multiset packer on the same scenarios. Prints a Markdown table.
 */
public final class PlannerBenchmark {

    private static final int WARMUP = 3;
    private static final int RUNS = 7;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final List<String> STRANDED_ROWS = new ArrayList<>();

    private PlannerBenchmark() {}

    public static void main(String[] args) {
        List<BenchScenarios.Scenario> scenarios = scenarios(args.length > 0 ? args[0] : "all");
        System.out.println("| scenario | GPUs | demands | planner | wall ms: median (min-max) | CPU ms: median |"
                + " satisfied / wanted | GPUs repartitioned | nodes repartitioned | stranded slices | moved |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
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
        all.add(BenchScenarios.generate("mixed-1000n", 1000, 8, List.of(GpuModel.values()), 2000, 0.8, 5));
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
        int gpus =
                scenario.state().nodes().stream().mapToInt(n -> n.gpus().size()).sum();
        System.out.println(String.format(
                Locale.ROOT,
                "| %s | %d | %d | %s | %d (%d-%d) | %d | %d / %d | %d | %d | %d | %d |",
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
                quality.moved()));
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
