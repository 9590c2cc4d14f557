package dev.quartet.worker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.worker.EngineSettings;
import dev.quartet.worker.LoadedModel;
import dev.quartet.worker.ModelFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * This worker beside the servers users would pick instead (KServe's Python model server, Seldon's MLServer), on the
 * same ONNX model, from the same load generator, in one run, with the same engine called in-process as the floor:
 * every server in interleaved slices (in-process, then each server over gRPC with raw contents, then each over REST
 * with JSON tensors, then the REST binary extension where the server has it), so that load from other processes on
 * a shared machine falls on all of them alike. Prints throughput and p50/p99 per concurrency and each server's ratio
 * to this worker; run by hack/bench-peers.sh, which starts the servers. Figures, not a test.
 *
 * <p>{@code --target=NAME,REST_INFER_URL,GRPC_HOST:PORT,MODEL[,binary]} once per server, the worker first.
 */
public final class PeerBenchmark {

    /** One server under test. */
    record Target(String name, String restUrl, String grpc, String model, boolean binary) {}

    private PeerBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = WorkerBenchmark.parse(args);
        List<Target> targets = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("--target=")) {
                String[] p = arg.substring("--target=".length()).split(",");
                targets.add(new Target(p[0], p[1], p[2], p[3], p.length > 4 && "binary".equals(p[4])));
            }
        }
        Path model = Path.of(a.get("model"));
        String inputName = a.getOrDefault("input", "input");
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "24"));
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "4"));
        int[] levels = Arrays.stream(a.getOrDefault("concurrency", "1,4,16").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        long[] shape = Arrays.stream(a.getOrDefault("shape", "1,3,224,224").split(","))
                .mapToLong(Long::parseLong)
                .toArray();
        float[] image = WorkerBenchmark.image(shape);
        byte[] json = WorkerBenchmark.jsonRequest(inputName, shape, image);
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
        java.nio.ByteBuffer binary =
                java.nio.ByteBuffer.allocate(header.length + image.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        binary.put(header).asFloatBuffer().put(image);
        int threads = EngineSettings.threadsPerCall(
                Optional.ofNullable(a.get("threads-per-call")).map(Integer::valueOf), 2);

        // Modes in slice order: in-process first, then per protocol every server.
        Map<String, Supplier<WorkerBenchmark.Call>> modes = new LinkedHashMap<>();
        List<Map<String, List<WorkerBenchmark.Result>>> perLevel = new ArrayList<>();
        List<WorkerBenchmark.Result> all = new ArrayList<>();
        double slice = seconds / rounds;
        try (LoadedModel direct = LoadedModel.load(model, ModelFormat.ONNX, new ObjectMapper(), threads)) {
            modes.put("in-process", () -> () -> WorkerBenchmark.inProcess(direct, image, shape));
            for (Target t : targets) {
                modes.put(t.name() + " gRPC", () -> new GrpcLoadClient(t.grpc(), t.model(), inputName, shape, image));
            }
            for (Target t : targets) {
                modes.put(
                        t.name() + " REST JSON",
                        () -> new LeanHttpClient(t.restUrl(), json, "Content-Type", "application/json"));
            }
            for (Target t : targets) {
                if (t.binary()) {
                    modes.put(
                            t.name() + " REST binary",
                            () -> new LeanHttpClient(
                                    t.restUrl(),
                                    binary.array(),
                                    "Content-Type",
                                    "application/octet-stream",
                                    "Inference-Header-Content-Length",
                                    String.valueOf(header.length)));
                }
            }
            System.err.printf(
                    "in-process: ONNX Runtime, %d thread(s) per call; %.0f s per mode and level in %d slices%n",
                    threads, seconds, rounds);
            for (int c : levels) {
                Map<String, List<WorkerBenchmark.Result>> slices = new LinkedHashMap<>();
                for (Map.Entry<String, Supplier<WorkerBenchmark.Call>> m : modes.entrySet()) {
                    // Unmeasured warm-up slice (JIT, Python imports, connection set-up).
                    WorkerBenchmark.run(m.getKey(), c, slice, m.getValue().get());
                    slices.put(m.getKey(), new ArrayList<>());
                }
                for (int r = 0; r < rounds; r++) {
                    for (Map.Entry<String, Supplier<WorkerBenchmark.Call>> m : modes.entrySet()) {
                        slices.get(m.getKey())
                                .add(WorkerBenchmark.run(
                                        m.getKey(), c, slice, m.getValue().get()));
                    }
                }
                perLevel.add(slices);
                System.err.printf("c=%d done, load average %s%n", c, BenchResults.loadAverage());
            }
        }
        for (int i = 0; i < levels.length; i++) {
            Map<String, WorkerBenchmark.Result> merged = new LinkedHashMap<>();
            perLevel.get(i).forEach((k, v) -> merged.put(k, WorkerBenchmark.merge(v)));
            all.addAll(merged.values());
            System.out.printf("%nconcurrency %d%n%n", levels[i]);
            System.out.println("| mode | img/s | p50 ms | p99 ms | throughput / this worker's (same protocol) |");
            System.out.println("|---|---|---|---|---|");
            for (Map.Entry<String, WorkerBenchmark.Result> e : merged.entrySet()) {
                String mode = e.getKey();
                String protocol = mode.contains(" ") ? mode.substring(mode.indexOf(' ')) : "";
                WorkerBenchmark.Result ours = merged.get(targets.get(0).name() + protocol);
                WorkerBenchmark.Result r = e.getValue();
                System.out.printf(
                        "| %s | %.1f | %.1f | %.1f | %s |%n",
                        mode,
                        r.throughput(),
                        r.p50(),
                        r.p99(),
                        ours == null || protocol.isEmpty()
                                ? "-"
                                : String.format("%.2f", r.throughput() / ours.throughput()));
            }
        }
        if (a.containsKey("results")) {
            BenchResults.write(Path.of(a.get("results")), a, all);
        }
    }
}
