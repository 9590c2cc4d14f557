package dev.quartet.cli;

import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code kubectl quartet plan FILE|-}: plans a YAML scenario offline and prints the plan as JSON; with
 * {@code --live}, previews what Quartet would do on the live cluster ({@link LivePlanCommand}).
 */
public final class PlanCommand implements Subcommand {

    private final Supplier<KubernetesClient> clients;

    public PlanCommand() {
        this(() -> new KubernetesClientBuilder().build());
    }

    PlanCommand(Supplier<KubernetesClient> clients) {
        this.clients = clients;
    }

    @Override
    public String name() {
        return "plan";
    }

    @Override
    public String usage() {
        return "[--idle-gpu-cover-min-slices N] FILE|-  or  plan " + LivePlanCommand.USAGE;
    }

    @Override
    public String summary() {
        return "plan a YAML scenario (nodes, GPUs, demands) and print the plan as JSON (the flag: as the "
                + "operator's QUARTET_PLANNER_IDLE_GPU_COVER_MIN_SLICES, default 6, 0 = never); with --live, preview "
                + "what Quartet would do on the live cluster with the InferenceDeployments of -f applied and those of "
                + "--delete deleted (uses KUBECONFIG; writes nothing)";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        if (args.contains("--live")) {
            return new LivePlanCommand(clients).run(args, in, out, err);
        }
        MigPlanner.Options options = MigPlanner.Options.DEFAULT;
        List<String> files = args;
        if (!args.isEmpty() && args.get(0).equals("--idle-gpu-cover-min-slices")) {
            try {
                options = new MigPlanner.Options(Integer.parseInt(args.size() > 1 ? args.get(1) : ""));
            } catch (IllegalArgumentException e) {
                err.println("kubectl quartet plan: --idle-gpu-cover-min-slices takes a whole number, 0 or more");
                return BAD_INPUT;
            }
            files = args.subList(2, args.size());
        }
        if (files.size() != 1) {
            err.println("usage: kubectl quartet plan " + usage());
            return BAD_INPUT;
        }
        try {
            Scenario scenario = new ScenarioReader().read(read(files.get(0), in));
            Plan plan = new MigPlanner(options).plan(scenario.state(), scenario.demands());
            out.print(PlanJson.write(plan));
            return 0;
        } catch (ScenarioException e) {
            err.println(files.get(0) + ": " + e.getMessage());
            return BAD_INPUT;
        }
    }

    private static String read(String file, InputStream in) throws ScenarioException {
        try {
            byte[] bytes = "-".equals(file) ? in.readAllBytes() : Files.readAllBytes(Path.of(file));
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ScenarioException("no such file");
        } catch (IOException e) {
            throw new ScenarioException("cannot read: " + e.getMessage());
        }
    }
}
