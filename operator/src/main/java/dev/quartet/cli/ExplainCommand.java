package dev.quartet.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import dev.quartet.preview.FitAdvisor;
import dev.quartet.preview.PlanPreview;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.ReplicaExplainer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code kubectl quartet explain NAME}: why each replica of one InferenceDeployment is where it is or has no slice,
 * from the plan the operator makes for the live cluster: kept, moved, pre-empted, removed or created, and for a
 * shortfall the planner's reason, what would fit and every GPU it could not use, with why.
 */
final class ExplainCommand implements Subcommand {

    private static final Set<String> FLAGS = union(ClusterOptions.FLAGS, Set.of("-n", "-o"));

    private final Supplier<KubernetesClient> clients;

    ExplainCommand() {
        this(() -> new KubernetesClientBuilder().build());
    }

    ExplainCommand(Supplier<KubernetesClient> clients) {
        this.clients = clients;
    }

    @Override
    public String name() {
        return "explain";
    }

    @Override
    public String usage() {
        return "[NS/]NAME [-n NS] [-o text|json] " + ClusterOptions.USAGE;
    }

    @Override
    public String summary() {
        return "why each replica of an InferenceDeployment is where it is or not placed: the planner's reason, what "
                + "would fit, the GPUs it could have used and why not (uses KUBECONFIG; writes nothing)";
    }

    @Override
    public int run(List<String> argv, InputStream in, PrintStream out, PrintStream err) {
        Args args;
        ClusterOptions options;
        try {
            args = Args.parse(argv, FLAGS, Set.of());
            options = ClusterOptions.from(args, System.getenv());
            if (args.positional().size() != 1) {
                throw new IllegalArgumentException("give one InferenceDeployment name");
            }
            String format = args.last("-o").orElse("text");
            if (!format.equals("text") && !format.equals("json")) {
                throw new IllegalArgumentException("-o takes text or json (got '" + format + "')");
            }
        } catch (IllegalArgumentException e) {
            err.println("kubectl quartet explain: " + e.getMessage() + " (usage: explain " + usage() + ")");
            return BAD_INPUT;
        }
        try (KubernetesClient client = clients.get()) {
            String name = args.positional().get(0);
            String namespace =
                    args.last("-n").orElse(client.getNamespace() == null ? "default" : client.getNamespace());
            String id = name.contains("/") ? name : namespace + "/" + name;
            LiveCluster live = LiveCluster.read(client, options, true);
            if (live.deployments().stream()
                    .noneMatch(d -> id.equals(d.getMetadata().getNamespace() + "/"
                            + d.getMetadata().getName()))) {
                err.println("kubectl quartet explain: no InferenceDeployment " + id
                        + (options.namespaces().isEmpty() ? "" : " in the served namespaces " + options.namespaces()));
                return BAD_INPUT;
            }
            live.noteDraUnread(err, "planned");
            live.noteMissingMigConfig(options, err);
            MigPlanner planner = options.settings().planner();
            PlanningInput input =
                    PlanningInput.of(live.snapshot(), live.deployments(), options.settings(), Instant.now());
            Plan plan = input.plan(planner);
            FitAdvisor advisor = new FitAdvisor(planner, LivePlanCommand.ADVICE_BUDGET);
            PlanPreview preview =
                    PlanPreview.of(input, plan, d -> d.equals(id) ? advisor.wouldFit(input, plan, d) : List.of());
            ReplicaExplainer.Explanation e = ReplicaExplainer.explain(
                    input, plan, preview, live.snapshot().pods(), id);
            if (args.last("-o").orElse("text").equals("json")) {
                ObjectNode none = null;
                out.print(PreviewText.json(e, none));
            } else {
                out.print(PreviewText.render(e));
            }
            return 0;
        } catch (KubernetesClientException e) {
            err.println("kubectl quartet explain: cannot read the cluster: " + e.getMessage());
            return 1;
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }
}
