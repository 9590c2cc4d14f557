package dev.quartet.worker.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.worker.EngineSettings;
import dev.quartet.worker.LoadedModel;
import dev.quartet.worker.ModelFormat;
import java.io.IOException;
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
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Served (HTTP, OIP binary tensor data and JSON, dynamic batching) against in-process (the same
 * DJL engine with the worker's settings, no HTTP, one image per call) for one
 * model at several concurrency levels, same input, same machine, same run; prints a Markdown table.
 * Run by hack/bench-worker.sh, which starts the worker. Not a test: it prints, it does not judge.
 */
public final class WorkerBenchmark {

    /** What one (mode, concurrency) run measured. */
    record Result(String mode, int concurrency, List<Double> latencies, double seconds) {
        int requests() {
            return latencies.size();
        }

        double throughput() {
            return requests() / seconds;
        }

        double p50() {
            return percentile(latencies, 0.50);
        }

        double p99() {
            return percentile(latencies, 0.99);
        }
    }

    static Result merge(List<Result> slices) {
        List<Double> all = new ArrayList<>();
        double seconds = 0;
        for (Result r : slices) {
            all.addAll(r.latencies());
            seconds += r.seconds();
        }
        all.sort(Double::compare);
        return new Result(slices.get(0).mode(), slices.get(0).concurrency(), all, seconds);
    }

    private static void add(double[] total, double[] before, double[] after) {
        for (int i = 0; i < total.length; i++) {
            total[i] += after[i] - before[i];
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
        boolean jdkClient = "jdk".equals(a.getOrDefault("client", "lean"));
        int[] levels = Arrays.stream(a.getOrDefault("concurrency", "1,4,16").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        long[] shape = Arrays.stream(a.getOrDefault("shape", "1,3,224,224").split(","))
                .mapToLong(Long::parseLong)
                .toArray();
        float[] image = image(shape);
        byte[] body = jsonRequest(inputName, shape, image);
        byte[] header = new ObjectMapper()
                .writeValueAsBytes(Map.of(
                        "inputs",
                        List.of(Map.of(
                                "name",
                                inputName,
                                "datatype",
                                "FP32",
                                "shape",
                                shape,
                                "parameters",
                                Map.of("binary_data_size", image.length * 4)))));
        ByteBuffer binary =
                ByteBuffer.allocate(header.length + image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        binary.put(header).asFloatBuffer().put(image);
        System.err.printf(
                "model %s (%s), JSON body %d bytes, binary body %d bytes, %.0f s per mode and level," + " %s client%n",
                model, format, body.length, binary.capacity(), seconds, jdkClient ? "JDK" : "lean");

        List<Result> results = new ArrayList<>();
        List<Result> grpcResults = new ArrayList<>();
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "4"));
        double slice = seconds / rounds;
        int warmupRounds = Integer.parseInt(a.getOrDefault("warmup-rounds", "1"));
        // The worker's engine settings: ONNX Runtime threads per call from the worker's batch workers.
        int threads = EngineSettings.threadsPerCall(
                Optional.ofNullable(a.get("threads-per-call")).map(Integer::valueOf),
                Integer.parseInt(a.getOrDefault("workers", "2")));
        System.err.printf("in-process engine: %d CPU threads per call (ONNX)%n", threads);
        try (LoadedModel direct = LoadedModel.load(model, format, new ObjectMapper(), threads)) {
            // A fresh call per run: a served call holds connections that its run closes.
            Supplier<Call> inProcessCall = () -> () -> inProcess(direct, image, shape);
            Supplier<Call> binaryCall = () -> served(jdkClient, url, binary.array(), header.length);
            Supplier<Call> jsonCall = () -> served(jdkClient, url, body, -1);
            // OIP over gRPC with raw_input_contents, when the worker's gRPC address is given (--grpc=host:port).
            String grpc = a.get("grpc");
            Supplier<Call> grpcCall = () -> new GrpcLoadClient(grpc, "bench", inputName, shape, image);
            for (int c : levels) {
                // Interleaved slices, so that load from other processes on a shared machine falls on
                // every mode alike.
                List<Result> in = new ArrayList<>();
                List<Result> bin = new ArrayList<>();
                List<Result> json = new ArrayList<>();
                double[] binEngine = new double[3];
                double[] jsonEngine = new double[3];
                // CPU milliseconds used during each mode: [this JVM (clients, or the engine in-process), worker]
                double[] inCpu = new double[2];
                double[] binCpu = new double[2];
                double[] jsonCpu = new double[2];
                List<Result> overGrpc = new ArrayList<>();
                double[] grpcCpu = new double[2];
                // One unmeasured slice per mode first, as JMH warms up: a fresh worker JVM spends about a
                // tenth of its CPU compiling its request path during its first minute (perf, 2 cores).
                for (int w = 0; w < warmupRounds; w++) {
                    run("in-process", c, slice, inProcessCall.get());
                    run("binary", c, slice, binaryCall.get());
                    run("json", c, slice, jsonCall.get());
                    if (grpc != null) {
                        run("grpc", c, slice, grpcCall.get());
                    }
                }
                for (int r = 0; r < rounds; r++) {
                    double[] cpu = cpu(workerPid);
                    in.add(run("in-process", c, slice, inProcessCall.get()));
                    add(inCpu, cpu, cpu(workerPid));
                    double[] before = engineStats(url);
                    cpu = cpu(workerPid);
                    bin.add(run("binary", c, slice, binaryCall.get()));
                    add(binCpu, cpu, cpu(workerPid));
                    add(binEngine, before, engineStats(url));
                    before = engineStats(url);
                    cpu = cpu(workerPid);
                    json.add(run("json", c, slice, jsonCall.get()));
                    add(jsonCpu, cpu, cpu(workerPid));
                    add(jsonEngine, before, engineStats(url));
                    if (grpc != null) {
                        cpu = cpu(workerPid);
                        overGrpc.add(run("grpc", c, slice, grpcCall.get()));
                        add(grpcCpu, cpu, cpu(workerPid));
                    }
                }
                for (List<Result> mode : List.of(in, bin, json)) {
                    results.add(merge(mode));
                }
                System.err.println(format(results.get(results.size() - 3), workerPid) + cpuPerRequest(inCpu, in));
                System.err.println(format(results.get(results.size() - 2), workerPid)
                        + engine(binEngine)
                        + cpuPerRequest(binCpu, bin));
                System.err.println(format(results.get(results.size() - 1), workerPid)
                        + engine(jsonEngine)
                        + cpuPerRequest(jsonCpu, json));
                if (grpc != null) {
                    grpcResults.add(merge(overGrpc));
                    System.err.println(format(grpcResults.get(grpcResults.size() - 1), workerPid)
                            + cpuPerRequest(grpcCpu, overGrpc));
                }
            }
        }
        System.out.printf(
                "%n%s (%s), %s, input %s%n%n",
                model.getFileName(), format.platform(), Files.size(model) / 1000 + " kB", Arrays.toString(shape));
        System.out.println("| concurrency | in-process img/s | served img/s, binary / JSON | served / in-process,"
                + " binary / JSON | p50 ms: in-process / binary / JSON | p99 ms: in-process / binary / JSON"
                + " | p50 overhead ms, binary / JSON |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int i = 0; i < results.size(); i += 3) {
            Result in = results.get(i);
            Result bin = results.get(i + 1);
            Result json = results.get(i + 2);
            System.out.printf(
                    "| %d | %.1f | %.1f / %.1f | %.2f / %.2f | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f"
                            + " | %.1f / %.1f |%n",
                    in.concurrency(),
                    in.throughput(),
                    bin.throughput(),
                    json.throughput(),
                    bin.throughput() / in.throughput(),
                    json.throughput() / in.throughput(),
                    in.p50(),
                    bin.p50(),
                    json.p50(),
                    in.p99(),
                    bin.p99(),
                    json.p99(),
                    bin.p50() - in.p50(),
                    json.p50() - in.p50());
        }
        if (!grpcResults.isEmpty()) {
            System.out.println();
            System.out.println(
                    "| concurrency | img/s: in-process / gRPC raw / REST binary | served / in-process: gRPC /"
                            + " REST binary | p50 ms: in-process / gRPC / REST binary | p99 ms: in-process / gRPC / REST binary"
                            + " | p50 overhead ms: gRPC / REST binary |");
            System.out.println("|---|---|---|---|---|---|");
            for (int i = 0; i < grpcResults.size(); i++) {
                Result in = results.get(3 * i);
                Result bin = results.get(3 * i + 1);
                Result g = grpcResults.get(i);
                System.out.printf(
                        "| %d | %.1f / %.1f / %.1f | %.2f / %.2f | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %.1f / %.1f |%n",
                        in.concurrency(),
                        in.throughput(),
                        g.throughput(),
                        bin.throughput(),
                        g.throughput() / in.throughput(),
                        bin.throughput() / in.throughput(),
                        in.p50(),
                        g.p50(),
                        bin.p50(),
                        in.p99(),
                        g.p99(),
                        bin.p99(),
                        g.p50() - in.p50(),
                        bin.p50() - in.p50());
            }
        }
        String resultsFile = a.get("results");
        if (resultsFile != null) {
            List<Result> all = new ArrayList<>(results);
            all.addAll(grpcResults);
            BenchResults.write(Path.of(resultsFile), a, all);
        }
        if (workerPid > 0) {
            System.out.printf(
                    "%nworker resident memory: %s now, %s peak%n", rss(workerPid, "VmRSS"), rss(workerPid, "VmHWM"));
        }
    }

    /** One unit of work; returns when the answer is in. */
    interface Call {
        void call() throws Exception;
    }

    /** Runs {@code call} from {@code concurrency} threads for {@code seconds}; closes it afterwards if it holds connections. */
    static Result run(String mode, int concurrency, double seconds, Call call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            for (int i = 0; i < 3; i++) {
                call.call();
            }
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
            return new Result(mode, concurrency, all, (System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
            if (call instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    /** The benchmark's image: seeded random FP32 values in [0, 1), as many as {@code shape} holds. */
    public static float[] image(long[] shape) {
        float[] image = new float[(int) Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
        Random random = new Random(50);
        for (int i = 0; i < image.length; i++) {
            image[i] = random.nextFloat();
        }
        return image;
    }

    /** An OIP request with the image as JSON numbers (1.6 MB for 1 x 3 x 224 x 224). */
    public static byte[] jsonRequest(String inputName, long[] shape, float[] image) throws IOException {
        return new ObjectMapper()
                .writeValueAsBytes(Map.of(
                        "inputs",
                        List.of(Map.of("name", inputName, "datatype", "FP32", "shape", shape, "data", image))));
    }

    /** One image through the engine as the worker calls it, without HTTP, queue or batching. */
    static void inProcess(LoadedModel model, float[] image, long[] shape) {
        try (NDManager manager = model.newBatchManager()) {
            NDArray input = manager.create(image, new Shape(shape));
            if (model.format() == ModelFormat.ONNX) {
                input.setName(model.signature().inputs().get(0).name());
            }
            model.forward(new NDList(input)).head().toFloatArray();
        }
    }

    private static Call served(boolean jdkClient, String url, byte[] body, int jsonLength) {
        if (!jdkClient) {
            return jsonLength >= 0
                    ? new LeanHttpClient(
                            url,
                            body,
                            "Content-Type",
                            "application/octet-stream",
                            "Inference-Header-Content-Length",
                            String.valueOf(jsonLength))
                    : new LeanHttpClient(url, body, "Content-Type", "application/json");
        }
        HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofMinutes(2))
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

    /** CPU milliseconds so far of this JVM and of the worker process (0 when unknown). */
    private static double[] cpu(long workerPid) {
        return new double[] {
            cpuMillis(ProcessHandle.current()),
            workerPid > 0
                    ? ProcessHandle.of(workerPid)
                            .map(WorkerBenchmark::cpuMillis)
                            .orElse(0.0)
                    : 0
        };
    }

    private static double cpuMillis(ProcessHandle process) {
        return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e6).orElse(0.0);
    }

    /** CPU per request of this JVM (the clients, or the engine in-process) and of the worker. */
    private static String cpuPerRequest(double[] millis, List<Result> slices) {
        long requests = slices.stream().mapToLong(Result::requests).sum();
        return requests == 0
                ? ""
                : String.format(
                        "  CPU ms/request: bench JVM %.1f, worker %.1f", millis[0] / requests, millis[1] / requests);
    }

    /** Mean rows per engine call and mean engine milliseconds per call, from the worker's metrics. */
    static double[] engineStats(String inferUrl) {
        try {
            String base = inferUrl.substring(0, inferUrl.indexOf("/v2/"));
            // HTTP/1.1 and a timeout: a JDK client's h2c upgrade request once hung here for good.
            HttpResponse<String> metrics = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(base + "/q/metrics"))
                                    .timeout(Duration.ofSeconds(30))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return new double[] {
                metric(metrics.body(), "quartet_worker_batch_size_count"),
                metric(metrics.body(), "quartet_worker_batch_size_sum"),
                metric(metrics.body(), "quartet_worker_inference_duration_seconds_sum")
            };
        } catch (Exception e) {
            return new double[] {0, 0, 0};
        }
    }

    private static double metric(String text, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "\\{[^}]*} ([0-9.eE+-]+)$")
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static double percentile(List<Double> sorted, double q) {
        return sorted.isEmpty()
                ? Double.NaN
                : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static String engine(double[] delta) {
        return delta[0] <= 0
                ? ""
                : String.format(
                        "  engine: %.1f rows/call, %.1f ms/call", delta[1] / delta[0], delta[2] * 1000 / delta[0]);
    }

    private static String format(Result r, long pid) {
        return String.format(
                "%-10s c=%-2d %6d requests %6.1f img/s p50 %7.1f ms p99 %7.1f ms%s",
                r.mode(),
                r.concurrency(),
                r.requests(),
                r.throughput(),
                r.p50(),
                r.p99(),
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

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String arg : args) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            out.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        return out;
    }
}
