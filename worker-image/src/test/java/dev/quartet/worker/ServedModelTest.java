package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutdown of the served model: the engine is closed only once no batch runs on it. */
class ServedModelTest {

    @Test
    void closingWaitsForTheBatchInTheEngineBeforeClosingTheModel() throws Exception {
        LoadedModel model =
                LoadedModel.load(Path.of("models/mixed-types.onnx"), ModelFormat.ONNX, new ObjectMapper(), 1);
        BatchExecutor executor = new BatchExecutor(model, (rows, nanos) -> {});
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Runs the engine only once released, never after an interrupt or a timeout (the model may be closed then).
        BatchRunner gated = requests -> {
            running.countDown();
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the engine");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in the engine", e);
            }
            return executor.run(requests);
        };
        DynamicBatcher batcher = new DynamicBatcher(gated, new DynamicBatcher.Limits(8, 0, 8), true);
        ServedModel served = new ServedModel();
        served.ready(model, batcher, ServingDevice.of(Device.cpu()));
        CompletableFuture<List<Oip.OutputTensor>> answer =
                batcher.submit(BatchExecutor.warmUpRequest(model.signature(), 1).orElseThrow());
        assertTrue(running.await(10, TimeUnit.SECONDS));

        CompletableFuture<Void> closed = CompletableFuture.runAsync(served::close);
        Thread.sleep(200);
        assertFalse(closed.isDone(), "the model stays open while a batch runs on it");
        release.countDown();
        assertEquals(3, answer.get(10, TimeUnit.SECONDS).size(), "the batch ran on the open model");
        closed.get(20, TimeUnit.SECONDS);
    }
}
