package dev.quartet.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.worker.bench.WorkerBenchmark;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * CPU time to read the worker benchmark's JSON request (its 1 x 3 x 224 x 224 FP32 image, 1.6 MB) with Jackson
 * alone and with {@link JsonTensorScan} plus Jackson for the rest, alternating rounds in one JVM
 * ({@code BENCH_MODELS=json hack/bench-worker.sh}). Figures, not pass/fail.
 */
public final class JsonReadBenchmark {

    private JsonReadBenchmark() {}

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        new JsonSettings().customize(mapper);
        long[] shape = {1, 3, 224, 224};
        byte[] body = WorkerBenchmark.jsonRequest("input", shape, WorkerBenchmark.image(shape));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int reads = 200;
        long sink = 0;
        for (int round = 0; round < 5; round++) {
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < reads; i++) {
                sink += mapper.readValue(body, Oip.InferRequest.class)
                        .inputs()
                        .get(0)
                        .data()
                        .size();
            }
            long jackson = threads.getCurrentThreadCpuTime() - start;
            start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < reads; i++) {
                JsonTensorScan.Scanned scanned =
                        JsonTensorScan.scan(body, body.length).orElseThrow();
                sink += scanned.data().get(0).size()
                        + mapper.readValue(scanned.json(), Oip.InferRequest.class)
                                .inputs()
                                .size();
            }
            long scan = threads.getCurrentThreadCpuTime() - start;
            System.out.printf(
                    Locale.ROOT,
                    "round %d, %d-byte body: Jackson %.2f ms CPU per request, JsonTensorScan"
                            + " + Jackson for the rest %.2f ms%s%n",
                    round + 1,
                    body.length,
                    jackson / 1e6 / reads,
                    scan / 1e6 / reads,
                    round == 0 ? " (warm-up)" : "");
        }
        if (sink == 0) {
            System.out.println("nothing read");
        }
    }
}
