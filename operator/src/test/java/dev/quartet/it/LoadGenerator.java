package dev.quartet.it;

import dev.quartet.inventory.PodFacts;
import dev.quartet.sim.GpuNodeSimulator;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A closed-loop load on one deployment's Ready replicas, as a Service would spread it: {@code clients} threads each
 * send one tiny-ResNet inference request at a time to the worker processes of the deployment's Ready pods (round
 * robin over the current list, so new replicas get their share). Requests in flight at the workers are fewer than
 * {@code clients}: on a shared 2-core machine the clients' own loop takes most of each cycle (12 clients kept 2 to 4
 * requests in flight at the workers; larger requests kept fewer, the client then spending longer on each).
 */
final class LoadGenerator implements AutoCloseable {

    /** Images per request; the deployments under load allow this many rows per engine call. */
    static final int ROWS = 1;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong answered = new AtomicLong();
    private volatile List<String> urls = List.of();
    private final Thread refresher;

    LoadGenerator(String model, int clients, Supplier<List<Pod>> pods) {
        String body = body();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        refresher = new Thread(
                () -> {
                    while (running.get()) {
                        try {
                            urls = pods.get().stream()
                                    .filter(p -> PodFacts.isReady(p) && !PodFacts.isTerminating(p))
                                    .map(p -> p.getMetadata().getAnnotations() == null
                                            ? null
                                            : p.getMetadata()
                                                    .getAnnotations()
                                                    .get(GpuNodeSimulator.WORKER_URL_ANNOTATION))
                                    .filter(u -> u != null)
                                    .toList();
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            // the API server was busy: keep the last list
                        }
                    }
                },
                "load-pods-" + model);
        refresher.setDaemon(true);
        refresher.start();
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread t = new Thread(
                    () -> {
                        long n = client;
                        while (running.get()) {
                            List<String> now = urls;
                            if (now.isEmpty()) {
                                sleep(200);
                                continue;
                            }
                            String url = now.get((int) (n++ % now.size()));
                            try {
                                HttpResponse<Void> r = http.send(
                                        HttpRequest.newBuilder(URI.create(url + "/v2/models/" + model + "/infer"))
                                                .timeout(Duration.ofSeconds(30))
                                                .header("Content-Type", "application/json")
                                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding());
                                if (r.statusCode() == 200) {
                                    answered.incrementAndGet();
                                } else {
                                    sleep(100);
                                }
                            } catch (InterruptedException e) {
                                return;
                            } catch (Exception e) {
                                sleep(200); // a replica going away
                            }
                        }
                    },
                    "load-" + model + "-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    long answered() {
        return answered.get();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #ROWS} 3x32x32 images for the tiny ResNet, as JSON. */
    private static String body() {
        Random random = new Random(7);
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < ROWS * 3 * 32 * 32; i++) {
            data.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", random.nextFloat() * 2 - 1));
        }
        return "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"FP32\",\"shape\":[" + ROWS + ",3,32,32],\"data\":["
                + data + "]}]}";
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        refresher.interrupt();
        for (Thread t : threads) {
            t.join(35_000);
        }
    }
}
