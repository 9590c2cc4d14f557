package dev.quartet.worker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Raw benchmark results as JSON (docs/bench-results/): the machine, the load average when written, the commit and
 * settings the script passed (--commit=..., --settings=...), every argument, and one row per mode and concurrency.
 */
final class BenchResults {

    private BenchResults() {}

    static void write(Path file, Map<String, String> args, List<WorkerBenchmark.Result> results) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("written", Instant.now().toString());
        out.put("machine", machine());
        out.put("load_average_at_end", loadAverage());
        out.put("load_average_at_start", args.getOrDefault("load-at-start", "unknown"));
        out.put("commit", args.getOrDefault("commit", "unknown"));
        out.put("settings", args.getOrDefault("settings", ""));
        out.put("arguments", new LinkedHashMap<>(args));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (WorkerBenchmark.Result r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("mode", r.mode());
            row.put("concurrency", r.concurrency());
            row.put("requests", r.requests());
            row.put("seconds", round(r.seconds()));
            row.put("throughput_per_s", round(r.throughput()));
            row.put("p50_ms", round(r.p50()));
            row.put("p99_ms", round(r.p99()));
            rows.add(row);
        }
        out.put("rows", rows);
        Files.createDirectories(file.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), out);
        System.err.println("raw results written to " + file);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        try {
            Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .ifPresent(l -> m.put("cpu", l.substring(l.indexOf(':') + 1).trim()));
            Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal"))
                    .findFirst()
                    .ifPresent(
                            l -> m.put("memory", l.substring(l.indexOf(':') + 1).trim()));
        } catch (IOException e) {
            m.put("cpu", "unknown");
        }
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        return m;
    }
}
