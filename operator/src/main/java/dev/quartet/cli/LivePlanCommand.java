package dev.quartet.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quartet.demand.DemandFactory;
import dev.quartet.demand.SpecValidator;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import dev.quartet.preview.FitAdvisor;
import dev.quartet.preview.PlanPreview;
import dev.quartet.preview.PlanningInput;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * {@code kubectl quartet plan --live [-f FILE ...] [--delete NAME ...]}: what Quartet would do on the live cluster
 * with these InferenceDeployments applied and those deleted. It reads the cluster as the operator does (nodes,
 * pods, MIG Manager's ConfigMap, every InferenceDeployment of the served namespaces), derives the same planning
 * input, runs the same planner, and prints the GPUs repartitioned, the replicas created, moved, pre-empted and
 * removed, and every deployment left short with what would fit it. It writes nothing.
 */
final class LivePlanCommand {

    static final Set<String> FLAGS = union(ClusterOptions.FLAGS, Set.of("-f", "--filename", "--delete", "-n", "-o"));
    static final String USAGE =
            "--live [-f FILE ...] [--delete [NS/]NAME ...] [-n NS] [-o text|json] " + ClusterOptions.USAGE;

    /** Planning time spent finding what would fit one short deployment, at most. */
    static final Duration ADVICE_BUDGET = Duration.ofSeconds(30);

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private final Supplier<KubernetesClient> clients;

    LivePlanCommand(Supplier<KubernetesClient> clients) {
        this.clients = clients;
    }

    int run(List<String> argv, InputStream in, PrintStream out, PrintStream err) {
        Args args;
        ClusterOptions options;
        try {
            args = Args.parse(argv, FLAGS, Set.of("--live"));
            options = ClusterOptions.from(args, System.getenv());
            if (!args.positional().isEmpty()) {
                throw new IllegalArgumentException(
                        "unexpected argument '" + args.positional().get(0) + "'");
            }
            String format = args.last("-o").orElse("text");
            if (!format.equals("text") && !format.equals("json")) {
                throw new IllegalArgumentException("-o takes text or json (got '" + format + "')");
            }
        } catch (IllegalArgumentException e) {
            err.println("kubectl quartet plan: " + e.getMessage() + " (usage: plan " + USAGE + ")");
            return Subcommand.BAD_INPUT;
        }
        try (KubernetesClient client = clients.get()) {
            String namespace =
                    args.last("-n").orElse(client.getNamespace() == null ? "default" : client.getNamespace());
            List<InferenceDeployment> applied = new ArrayList<>();
            List<String> files = new ArrayList<>(args.all("-f"));
            files.addAll(args.all("--filename"));
            for (String file : files) {
                try {
                    applied.addAll(read(file, in, namespace));
                } catch (IllegalArgumentException e) {
                    err.println(file + ": " + e.getMessage());
                    return Subcommand.BAD_INPUT;
                }
            }
            for (InferenceDeployment d : applied) {
                List<String> problems = SpecValidator.validateDeployment(d);
                if (!problems.isEmpty()) {
                    err.println(
                            DemandFactory.id(d) + ": kubectl apply would refuse it: " + String.join("; ", problems));
                    return Subcommand.BAD_INPUT;
                }
            }
            LiveCluster live = LiveCluster.read(client, options, true);
            Set<String> known = new HashSet<>();
            live.deployments().forEach(d -> known.add(DemandFactory.id(d)));
            Set<String> deleted = new LinkedHashSet<>();
            for (String name : args.all("--delete")) {
                String id = name.contains("/") ? name : namespace + "/" + name;
                if (!known.contains(id)) {
                    err.println("kubectl quartet plan: --delete " + name + ": no InferenceDeployment " + id
                            + (options.namespaces().isEmpty()
                                    ? ""
                                    : " in the served namespaces " + options.namespaces()));
                    return Subcommand.BAD_INPUT;
                }
                deleted.add(id);
            }
            live.noteDraUnread(err, "planned");
            live.noteMissingMigConfig(options, err);
            Instant now = Instant.now();
            MigPlanner planner = options.settings().planner();
            ClusterSnapshot snapshot = PlanningInput.withoutReplicasOf(live.snapshot(), deleted);
            PlanningInput input = PlanningInput.of(
                    snapshot, PlanningInput.withChanges(live.deployments(), applied, deleted), options.settings(), now);
            Plan plan = input.plan(planner);
            FitAdvisor advisor = new FitAdvisor(planner, ADVICE_BUDGET);
            PlanPreview preview = PlanPreview.of(input, plan, id -> advisor.wouldFit(input, plan, id));
            PlanPreview baseline = null;
            if (!applied.isEmpty() || !deleted.isEmpty()) {
                PlanningInput before = PlanningInput.of(live.snapshot(), live.deployments(), options.settings(), now);
                baseline = PlanPreview.of(before, before.plan(planner), id -> List.of());
            }
            Set<String> appliedIds = new TreeSet<>();
            applied.forEach(d -> appliedIds.add(DemandFactory.id(d)));
            if (args.last("-o").orElse("text").equals("json")) {
                ObjectNode head = PreviewText.JSON.createObjectNode();
                head.set("applied", PreviewText.JSON.valueToTree(appliedIds));
                head.set("deleted", PreviewText.JSON.valueToTree(deleted));
                head.put("currentPlanDone", baseline == null || baseline.changesNothing());
                out.print(PreviewText.json(preview, head));
            } else {
                out.println(heading(appliedIds, deleted));
                out.print(PreviewText.render(preview));
                if (baseline != null && !baseline.changesNothing()) {
                    out.println("Note: Quartet has not finished carrying out the current plan; without these changes it"
                            + " would still repartition "
                            + baseline.repartitions().size() + " GPU(s), create "
                            + (baseline.placed().size() + baseline.moved().size()) + " and remove "
                            + (baseline.moved().size()
                                    + baseline.preempted().size()
                                    + baseline.removed().size())
                            + " replica(s). The lists above include that work.");
                }
            }
            return 0;
        } catch (KubernetesClientException e) {
            err.println("kubectl quartet plan: cannot read the cluster: " + e.getMessage());
            return 1;
        }
    }

    private static String heading(Set<String> applied, Set<String> deleted) {
        List<String> changes = new ArrayList<>();
        if (!applied.isEmpty()) {
            changes.add(String.join(", ", applied) + " applied");
        }
        if (!deleted.isEmpty()) {
            changes.add(String.join(", ", deleted) + " deleted");
        }
        return "What Quartet would do on the live cluster"
                + (changes.isEmpty() ? "" : " with " + String.join(" and ", changes))
                + " (a preview: nothing is written):";
    }

    /** The InferenceDeployments of a YAML file ({@code -} for standard input), each in a namespace. */
    static List<InferenceDeployment> read(String file, InputStream in, String namespace) {
        String text;
        try {
            byte[] bytes = "-".equals(file) ? in.readAllBytes() : Files.readAllBytes(Path.of(file));
            text = new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read: " + e.getMessage());
        }
        List<InferenceDeployment> out = new ArrayList<>();
        for (String doc : text.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                continue;
            }
            Map<?, ?> raw;
            try {
                raw = YAML.unmarshal(doc, Map.class);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("malformed YAML: " + e.getMessage());
            }
            if (!"InferenceDeployment".equals(raw.get("kind"))) {
                throw new IllegalArgumentException(
                        "only InferenceDeployments can be previewed, not kind " + raw.get("kind"));
            }
            InferenceDeployment d = YAML.unmarshal(doc, InferenceDeployment.class);
            if (d.getMetadata() == null || d.getMetadata().getName() == null) {
                throw new IllegalArgumentException("an InferenceDeployment without metadata.name");
            }
            if (d.getMetadata().getNamespace() == null) {
                d.getMetadata().setNamespace(namespace);
            }
            out.add(d);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no InferenceDeployment in it");
        }
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }
}
