package dev.quartet.worker.bench;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.worker.EngineSettings;
import dev.quartet.worker.ModelFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Served (HTTP, OIP binary tensor data and JSON, dynamic batching) against in-process (DJL
 * Predictor, no HTTP, one request per call) for one
 * model at several concurrency levels, same input, same machine, same run; prints a Markdown table.
 * Run by hack/bench-worker.sh, which starts the worker. Not a test: it prints, it does not judge.
 */
public final class WorkerBenchmark {

    /** What one (mode, concurrency) run measured. */
    record Result(String mode, int concurrency, int requests, double seconds, double p50, double p99) {
        double throughput() {
            return requests / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        Path model = Path.of(a.get("model"));
        ModelFormat format = ModelFormat.fromFileName(model.getFileName().toString());
        String url = a.get("url");
        String inputName = a.getOrDefault("input", "input");
        long workerPid = Long.parseLong(a.getOrDefault("pid", "-1"));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "20"));
        int[] levels = Arrays.stream(a.getOrDefault("concurrency", "1,4,16").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        float[] image = new float[3 * 224 * 224];
        Random random = new Random(50);
        for (int i = 0; i < image.length; i++) {
            image[i] = random.nextFloat();
        }
        byte[] body = new ObjectMapper().writeValueAsBytes(Map.of("inputs", List.of(Map.of("name", inputName,
                "datatype", "FP32", "shape", List.of(1, 3, 224, 224), "data", image))));
        byte[] header = new ObjectMapper().writeValueAsBytes(Map.of("inputs", List.of(Map.of("name", inputName,
                "datatype", "FP32", "shape", List.of(1, 3, 224, 224),
                "parameters", Map.of("binary_data_size", image.length * 4)))));
        ByteBuffer binary = ByteBuffer.allocate(header.length + image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        binary.put(header).asFloatBuffer().put(image);
        System.err.printf("model %s (%s), JSON body %d bytes, binary body %d bytes, %.0f s per run%n", model, format,
                body.length, binary.capacity(), seconds);

        List<Result> results = new ArrayList<>();
        EngineSettings.apply();
        try (ZooModel<NDList, NDList> direct = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(model).optEngine(format.engine()).optTranslator(new NoopTranslator()).build()
                .loadModel()) {
            for (int c : levels) {
                ThreadLocal<Predictor<NDList, NDList>> predictors = ThreadLocal.withInitial(direct::newPredictor);
                results.add(run("in-process", c, seconds, () -> inProcess(direct, predictors.get(), image, inputName)));
                System.err.println(format(results.get(results.size() - 1), workerPid));
                results.add(run("binary", c, seconds, served(url, binary.array(), header.length)));
                System.err.println(format(results.get(results.size() - 1), workerPid));
                results.add(run("json", c, seconds, served(url, body, -1)));
                System.err.println(format(results.get(results.size() - 1), workerPid));
            }
        }
        System.out.printf("%n%s (%s), %s%n%n", model.getFileName(), format.platform(), Files.size(model) / 1_000_000
                + " MB");
        System.out.println("| concurrency | in-process img/s | served img/s, binary / JSON | served / in-process,"
                + " binary / JSON | p50 ms: in-process / binary / JSON | p99 ms: in-process / binary / JSON"
                + " | p50 overhead ms, binary / JSON |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int i = 0; i < results.size(); i += 3) {
            Result in = results.get(i);
            Result bin = results.get(i + 1);
            Result json = results.get(i + 2);
            System.out.printf("| %d | %.1f | %.1f / %.1f | %.2f / %.2f | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f"
                    + " | %.1f / %.1f |%n", in.concurrency(), in.throughput(), bin.throughput(), json.throughput(),
                    bin.throughput() / in.throughput(), json.throughput() / in.throughput(), in.p50(), bin.p50(),
                    json.p50(), in.p99(), bin.p99(), json.p99(), bin.p50() - in.p50(), json.p50() - in.p50());
        }
        if (workerPid > 0) {
            System.out.printf("%nworker resident memory: %s now, %s peak%n", rss(workerPid, "VmRSS"),
                    rss(workerPid, "VmHWM"));
        }
    }

    /** One unit of work; returns when the answer is in. */
    interface Call {
        void call() throws Exception;
    }

    private static Result run(String mode, int concurrency, double seconds, Call call) throws Exception {
        for (int i = 0; i < 3; i++) {
            call.call();
        }
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<Future<List<Double>>> futures = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            futures.add(pool.submit(() -> {
                List<Double> latencies = new ArrayList<>();
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    call.call();
                    latencies.add((System.nanoTime() - s) / 1e6);
                }
                return latencies;
            }));
        }
        List<Double> all = new ArrayList<>();
        for (Future<List<Double>> f : futures) {
            all.addAll(f.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        all.sort(Double::compare);
        return new Result(mode, concurrency, all.size(), elapsed, percentile(all, 0.50), percentile(all, 0.99));
    }

    private static void inProcess(ZooModel<NDList, NDList> model, Predictor<NDList, NDList> predictor, float[] image,
            String inputName) throws Exception {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray input = manager.create(image, new Shape(1, 3, 224, 224));
            input.setName(inputName);
            NDList out = predictor.predict(new NDList(input));
            out.head().toFloatArray();
            out.close();
        }
    }

    private static Call served(String url, byte[] body, int jsonLength) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (jsonLength >= 0) {
            builder.header("Content-Type", "application/octet-stream")
                    .header("Inference-Header-Content-Length", String.valueOf(jsonLength));
        } else {
            builder.header("Content-Type", "application/json");
        }
        HttpRequest request = builder.build();
        return () -> {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode() + ": " + new String(response.body()));
            }
        };
    }

    private static double percentile(List<Double> sorted, double q) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static String format(Result r, long pid) {
        return String.format("%-10s c=%-2d %6d requests %6.1f img/s p50 %7.1f ms p99 %7.1f ms%s", r.mode(),
                r.concurrency(), r.requests(), r.throughput(), r.p50(), r.p99(),
                pid > 0 ? "  worker RSS " + rss(pid, "VmRSS") : "");
    }

    private static String rss(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return (kb / 1024) + " MiB";
                }
            }
        } catch (Exception e) {
            return "n/a";
        }
        return "n/a";
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String arg : args) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            out.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        return out;
    }
}
