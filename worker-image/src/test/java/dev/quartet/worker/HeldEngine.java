package dev.quartet.worker;

import static io.restassured.RestAssured.given;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker serving mixed-types.onnx through its real executor behind a gate: every engine call waits until
 * {@link #release()} (a hung engine call, on demand). For the {@code @QuarkusTest}s of overload and timeouts.
 */
final class HeldEngine {

    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();

    private HeldEngine() {}

    /** Puts a held engine behind {@code served}, batching with {@code limits}. */
    static HeldEngine serve(ServedModel served, ObjectMapper mapper, DynamicBatcher.Limits limits) throws Exception {
        LoadedModel model = LoadedModel.load(Path.of("models/mixed-types.onnx"), ModelFormat.ONNX, mapper, 1);
        BatchExecutor engine = new BatchExecutor(model, (rows, nanos) -> {});
        HeldEngine held = new HeldEngine();
        BatchRunner gated = requests -> {
            held.calls.incrementAndGet();
            held.running.countDown();
            await(held.release);
            return engine.run(requests);
        };
        served.ready(model, new DynamicBatcher(gated, limits, true), ServingDevice.of(Device.cpu()));
        return held;
    }

    /** Whether a call reached the engine within 30 s. */
    boolean awaitRunning() throws InterruptedException {
        return running.await(30, TimeUnit.SECONDS);
    }

    void release() {
        release.countDown();
    }

    /** Engine calls so far. */
    int calls() {
        return calls.get();
    }

    /** Infers one row whose INT64 inputs are all {@code id}; the model's first output is then 4 x id. */
    static Response send(int id) {
        return given().contentType(ContentType.JSON)
                .body(MixedTypesContract.body(
                        new long[] {id, id, id, id}, new int[] {1, 1, 1, 1}, new boolean[] {true, true, true, true}, 1))
                .post(MixedTypesContract.INFER);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
