package dev.quartet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator benchmark (docs/benchmarks.md, run by hack/bench-operator.sh): on the local control plane with
 * 50 simulated nodes of 4 A30 GPUs at 4x1g.6gb, creates N InferenceDeployments of 2 replicas each at once and
 * prints the time until every replica pod is bound and until every deployment is Ready, the operator's peak
 * resident memory, and the API requests it made per reconcile (from the API server's audit log, which
 * hack/bench-operator.sh turns on).
 *
 * <p>{@code OperatorBench [N...]} (default 1 50 200).
 */
public final class OperatorBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OperatorBench() {}

    public static void main(String[] args) throws Exception {
        int[] counts = args.length == 0
                ? new int[] {1, 50, 200}
                : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        Path audit = Path.of(System.getenv().getOrDefault("QUARTET_AUDIT_LOG", "target/audit.log"));
        System.out.printf(
                "%-12s %-8s %-14s %-14s %-14s %-12s %-14s%n",
                "deployments", "pods", "all bound (s)", "all Ready (s)", "operator RSS", "reconciles", "API req/recon");
        for (int n : counts) {
            try (OperatorTestBed bed = new OperatorTestBed(
                    "bench",
                    o -> o.withNodes(50).withGpusPerNode(4).withLayout("4x1g.6gb"),
                    Map.of("QUARTET_LOG_LEVEL", "INFO"))) {
                awaitOperatorUp(bed);
                long auditBefore = requestsBy(audit, bed.chart.serviceAccountName(), bed.namespace);
                double reconcilesBefore = reconciles(bed);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    bed.create(TestDeployments.of("d" + i, "1g.6gb", 2));
                }
                double bound = -1;
                double ready = -1;
                long peakRss = 0;
                while (ready < 0) {
                    peakRss = Math.max(peakRss, rssKiB(bed.operator.pid()));
                    List<Pod> pods =
                            bed.client.pods().inNamespace(bed.namespace).list().getItems();
                    long boundPods = pods.stream().filter(PodFacts::isBound).count();
                    if (bound < 0 && boundPods >= 2L * n) {
                        bound = (System.nanoTime() - start) / 1e9;
                    }
                    List<InferenceDeployment> ds =
                            bed.deployments().inNamespace(bed.namespace).list().getItems();
                    if (ds.size() == n
                            && ds.stream()
                                    .allMatch(d -> d.getStatus() != null
                                            && Integer.valueOf(2)
                                                    .equals(d.getStatus().getReadyReplicas()))) {
                        ready = (System.nanoTime() - start) / 1e9;
                    }
                    if ((System.nanoTime() - start) / 1e9 > 600) {
                        throw new IllegalStateException("not Ready after 600 s: " + boundPods + " pods bound");
                    }
                    Thread.sleep(250);
                }
                Thread.sleep(3000); // let the last status patches land before counting
                peakRss = Math.max(peakRss, rssKiB(bed.operator.pid()));
                double reconciled = reconciles(bed) - reconcilesBefore;
                long requests = requestsBy(audit, bed.chart.serviceAccountName(), bed.namespace) - auditBefore;
                System.out.printf(
                        "%-12d %-8d %-14.1f %-14.1f %-14s %-12.0f %-14s%n",
                        n,
                        2 * n,
                        bound,
                        ready,
                        (peakRss / 1024) + " MiB",
                        reconciled,
                        requests < 0 ? "n/a" : String.format("%.2f", requests / Math.max(1, reconciled)));
            }
        }
        System.exit(0);
    }

    private static void awaitOperatorUp(OperatorTestBed bed) throws InterruptedException {
        for (int i = 0; i < 120 && port(bed) < 0; i++) {
            Thread.sleep(500);
        }
    }

    private static int port(OperatorTestBed bed) {
        Matcher m = Pattern.compile("Listening on: http://[^:]+:(\\d+)").matcher(bed.operator.logText());
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1));
        }
        return port;
    }

    /** The operator's reconcile count (quartet_reconcile_seconds_count, every outcome), from /q/metrics. */
    private static double reconciles(OperatorTestBed bed) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(bed) + "/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        double total = 0;
        for (String line : r.body().lines().toList()) {
            if (line.startsWith("quartet_reconcile_seconds_count")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    private static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** Completed requests of the operator's ServiceAccount in the audit log, or -1 without one. */
    private static long requestsBy(Path audit, String serviceAccount, String namespace) throws IOException {
        if (!Files.exists(audit)) {
            return -1;
        }
        String user = "system:serviceaccount:" + namespace + ":" + serviceAccount;
        long count = 0;
        try (var lines = Files.lines(audit)) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (!line.contains(user)) {
                    continue;
                }
                JsonNode e = JSON.readTree(line);
                if (user.equals(e.path("user").path("username").asText())
                        && "ResponseComplete".equals(e.path("stage").asText())
                        && !"watch".equals(e.path("verb").asText())) {
                    count++;
                }
            }
        }
        return count;
    }
}
