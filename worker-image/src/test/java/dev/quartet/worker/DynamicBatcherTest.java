package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The batcher alone, with a scripted engine: merging, limits, the full queue, and failure isolation. */
class DynamicBatcherTest {

    /** A request whose single input is {@code rows} rows of width {@code width}; its id tags its answer. */
    static ValidatedRequest request(String id, int rows, long width) {
        return new ValidatedRequest(
                id, rows, List.of(ByteBuffer.allocate(0)), List.of(List.of((long) rows, width)), null);
    }

    /** Answers each request with one output naming the request and the batch it ran in. */
    static final class Echo implements BatchRunner {
        final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch release;
        final CountDownLatch entered = new CountDownLatch(1);
        final String poison;

        Echo(CountDownLatch release, String poison) {
            this.release = release;
            this.poison = poison;
        }

        @Override
        public List<List<Oip.OutputTensor>> run(List<ValidatedRequest> requests) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<String> ids = requests.stream().map(ValidatedRequest::id).toList();
            batches.add(ids);
            if (ids.contains(poison)) {
                throw new IllegalStateException("engine rejects " + poison);
            }
            return requests.stream()
                    .map(r -> List.of(
                            new Oip.OutputTensor(r.id(), "INT64", List.of((long) r.rows()), new long[] {ids.size()})))
                    .toList();
        }
    }

    @Test
    void requestsWaitingTogetherShareOneEngineCallAndGetTheirOwnAnswers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Echo engine = new Echo(release, "none");
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(4, 0, 16), true)) {
            CompletableFuture<List<Oip.OutputTensor>> blocker = batcher.submit(request("blocker", 1, 3));
            assertTrue(engine.entered.await(10, TimeUnit.SECONDS));
            List<CompletableFuture<List<Oip.OutputTensor>>> waiting = new ArrayList<>();
            for (String id : List.of("a", "b", "c", "d", "e")) {
                waiting.add(batcher.submit(request(id, id.equals("b") ? 2 : 1, 3)));
            }
            release.countDown();
            blocker.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < waiting.size(); i++) {
                assertEquals(
                        List.of("a", "b", "c", "d", "e").get(i),
                        waiting.get(i).get(10, TimeUnit.SECONDS).get(0).name());
            }
            // max 4 rows: [a, b(2 rows), c] then [d, e]
            assertEquals(List.of(List.of("blocker"), List.of("a", "b", "c"), List.of("d", "e")), engine.batches);
        }
    }

    @Test
    void requestsWithOtherShapesAreNotMerged() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Echo engine = new Echo(release, "none");
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 16), true)) {
            CompletableFuture<?> blocker = batcher.submit(request("blocker", 1, 3));
            assertTrue(engine.entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<?> a = batcher.submit(request("a", 1, 3));
            CompletableFuture<?> wide = batcher.submit(request("wide", 1, 5));
            CompletableFuture<?> b = batcher.submit(request("b", 1, 3));
            release.countDown();
            CompletableFuture.allOf(blocker, a, wide, b).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(List.of("blocker"), List.of("a", "b"), List.of("wide")), engine.batches);
        }
    }

    @Test
    void twoWorkersRunTwoBatchesAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch bothRunning = new CountDownLatch(2);
        Echo echo = new Echo(new CountDownLatch(0), "none");
        BatchRunner engine = requests -> {
            bothRunning.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return echo.run(requests);
        };
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(1, 0, 16, 2), true)) {
            CompletableFuture<?> a = batcher.submit(request("a", 1, 3));
            CompletableFuture<?> b = batcher.submit(request("b", 1, 3));
            assertTrue(bothRunning.await(10, TimeUnit.SECONDS), "both batches are in the engine together");
            release.countDown();
            CompletableFuture.allOf(a, b).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRequestWithMoreRowsThanOneEngineCallTakesIsRefused() throws Exception {
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 16), true)) {
            InferenceError e = assertThrows(InferenceError.class, () -> batcher.submit(request("big", 500, 3)));
            assertTrue(e.getMessage().contains("500 rows"), e.getMessage());
            assertEquals(
                    1,
                    batcher.submit(request("ok", 8, 3))
                            .get(10, TimeUnit.SECONDS)
                            .size());
            assertEquals(0, batcher.queueDepth());
        }
        try (DynamicBatcher unbatched = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 16), false)) {
            assertEquals(
                    1,
                    unbatched
                            .submit(request("many", 20, 3))
                            .get(10, TimeUnit.SECONDS)
                            .size());
        }
    }

    @Test
    void unbatchableModelsRunOneRequestAtATime() throws Exception {
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 16), false)) {
            CompletableFuture.allOf(batcher.submit(request("a", 1, 3)), batcher.submit(request("b", 1, 3)))
                    .get(10, TimeUnit.SECONDS);
            assertTrue(engine.batches.stream().allMatch(b -> b.size() == 1));
        }
    }

    @Test
    void aFullQueueRejectsAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Echo engine = new Echo(release, "none");
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(1, 0, 2), true)) {
            CompletableFuture<?> running = batcher.submit(request("running", 1, 3));
            assertTrue(engine.entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<?> q1 = batcher.submit(request("q1", 1, 3));
            CompletableFuture<?> q2 = batcher.submit(request("q2", 1, 3));
            assertEquals(2, batcher.queueDepth());
            assertThrows(DynamicBatcher.QueueFullException.class, () -> batcher.submit(request("q3", 1, 3)));
            release.countDown();
            CompletableFuture.allOf(running, q1, q2).get(10, TimeUnit.SECONDS);
            assertEquals(0, batcher.queueDepth());
        }
    }

    @Test
    void requestsSetAsideForOtherShapesStillCountAgainstTheQueueLimit() throws Exception {
        Semaphore entered = new Semaphore(0);
        Semaphore release = new Semaphore(0);
        BatchRunner engine = requests -> {
            entered.release();
            release.acquireUninterruptibly();
            return requests.stream().map(r -> List.<Oip.OutputTensor>of()).toList();
        };
        List<CompletableFuture<?>> admitted = new ArrayList<>();
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 4), true)) {
            admitted.add(batcher.submit(request("running", 1, 0)));
            assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS));
            for (long width = 1; width <= 4; width++) {
                admitted.add(batcher.submit(request("w" + width, 1, width)));
            }
            assertThrows(DynamicBatcher.QueueFullException.class, () -> batcher.submit(request("w5", 1, 5)));
            // The next batch is w1 alone; forming it sets w2..w4 aside, out of the queue: they still wait.
            release.release();
            assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS));
            admitted.add(batcher.submit(request("w6", 1, 6)));
            assertEquals(4, batcher.queueDepth());
            assertThrows(DynamicBatcher.QueueFullException.class, () -> batcher.submit(request("w7", 1, 7)));
            release.release(admitted.size());
            CompletableFuture.allOf(admitted.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertEquals(0, batcher.queueDepth());
        }
    }

    @Test
    void aRequestTheEngineRejectsFailsAloneAndItsBatchMatesSucceed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Echo engine = new Echo(release, "bad");
        try (DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 16), true)) {
            CompletableFuture<?> blocker = batcher.submit(request("blocker", 1, 3));
            assertTrue(engine.entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<List<Oip.OutputTensor>> good1 = batcher.submit(request("good1", 1, 3));
            CompletableFuture<List<Oip.OutputTensor>> bad = batcher.submit(request("bad", 1, 3));
            CompletableFuture<List<Oip.OutputTensor>> good2 = batcher.submit(request("good2", 1, 3));
            release.countDown();
            blocker.get(10, TimeUnit.SECONDS);
            assertEquals("good1", good1.get(10, TimeUnit.SECONDS).get(0).name());
            assertEquals("good2", good2.get(10, TimeUnit.SECONDS).get(0).name());
            ExecutionException failure = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
            assertTrue(failure.getCause().getMessage().contains("engine rejects bad"));
            assertEquals(List.of("good1", "bad", "good2"), engine.batches.get(1), "they were tried together first");
        }
    }

    @Test
    void aLoneRequestDoesNotWaitForTheBatchDelay() throws Exception {
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher =
                new DynamicBatcher(engine, new DynamicBatcher.Limits(8, TimeUnit.SECONDS.toNanos(60), 16), true)) {
            assertEquals(
                    "alone",
                    batcher.submit(request("alone", 1, 3))
                            .get(10, TimeUnit.SECONDS)
                            .get(0)
                            .name());
            assertEquals(List.of(List.of("alone")), engine.batches);
        }
    }

    @Test
    void aFormingBatchWaitsForAnnouncedRequests() throws Exception {
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher =
                new DynamicBatcher(engine, new DynamicBatcher.Limits(8, TimeUnit.SECONDS.toNanos(60), 16), true)) {
            DynamicBatcher.Arrival second = batcher.arrive();
            CompletableFuture<List<Oip.OutputTensor>> a = batcher.submit(request("a", 1, 3), batcher.arrive());
            Thread.sleep(200);
            assertTrue(!a.isDone(), "the batch waits while a request is announced");
            CompletableFuture<List<Oip.OutputTensor>> b = batcher.submit(request("b", 1, 3), second);
            a.get(10, TimeUnit.SECONDS);
            b.get(10, TimeUnit.SECONDS);
            assertEquals(List.of(List.of("a", "b")), engine.batches);
        }
    }

    @Test
    void anAnnouncedRequestIsWaitedForUntilItIsQueued() throws Exception {
        // The submitter is held just before its request enters the queue until the forming batch has looked at an
        // empty queue once more: the batch must still see the request announced then, not run without it.
        Semaphore emptyChecks = new Semaphore(0);
        AtomicBoolean checkSeen = new AtomicBoolean();
        DynamicBatcher.Interleaving interleaving = new DynamicBatcher.Interleaving() {
            @Override
            public void beforeQueueing(ValidatedRequest request) {
                if (request.id().equals("b")) {
                    emptyChecks.drainPermits();
                    try {
                        checkSeen.set(emptyChecks.tryAcquire(10, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void foundQueueEmpty(boolean announced) {
                emptyChecks.release();
            }
        };
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher = new DynamicBatcher(
                engine, new DynamicBatcher.Limits(8, TimeUnit.SECONDS.toNanos(60), 16), true, interleaving)) {
            DynamicBatcher.Arrival second = batcher.arrive();
            CompletableFuture<List<Oip.OutputTensor>> a = batcher.submit(request("a", 1, 3), batcher.arrive());
            CompletableFuture<List<Oip.OutputTensor>> b = batcher.submit(request("b", 1, 3), second);
            a.get(10, TimeUnit.SECONDS);
            b.get(10, TimeUnit.SECONDS);
            assertTrue(checkSeen.get(), "the forming batch looked at the queue while b was on its way");
            assertEquals(List.of(List.of("a", "b")), engine.batches);
        }
    }

    @Test
    void aRequestQueuedWhileTheBatchLooksAtAnEmptyQueueJoinsIt() throws Exception {
        // Between the forming batch's look at the empty queue and its decision, a request is queued and its
        // announcement ends: the decision must not rest on the announcements read after the look.
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicReference<DynamicBatcher> batcherRef = new AtomicReference<>();
        AtomicReference<DynamicBatcher.Arrival> secondRef = new AtomicReference<>();
        AtomicReference<CompletableFuture<List<Oip.OutputTensor>>> b = new AtomicReference<>();
        DynamicBatcher.Interleaving interleaving = new DynamicBatcher.Interleaving() {
            @Override
            public void foundQueueEmpty(boolean announced) {
                if (first.getAndSet(false)) {
                    b.set(CompletableFuture.supplyAsync(
                                    () -> batcherRef.get().submit(request("b", 1, 3), secondRef.get()))
                            .join());
                }
            }
        };
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher = new DynamicBatcher(
                engine, new DynamicBatcher.Limits(8, TimeUnit.SECONDS.toNanos(60), 16), true, interleaving)) {
            batcherRef.set(batcher);
            secondRef.set(batcher.arrive());
            CompletableFuture<List<Oip.OutputTensor>> a = batcher.submit(request("a", 1, 3), batcher.arrive());
            a.get(10, TimeUnit.SECONDS);
            assertTrue(b.get() != null, "b was submitted while the batch with a was forming");
            b.get().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(List.of("a", "b")), engine.batches);
        }
    }

    @Test
    void aWithdrawnAnnouncementStopsTheWait() throws Exception {
        Echo engine = new Echo(new CountDownLatch(0), "none");
        try (DynamicBatcher batcher =
                new DynamicBatcher(engine, new DynamicBatcher.Limits(8, TimeUnit.SECONDS.toNanos(60), 16), true)) {
            DynamicBatcher.Arrival refused = batcher.arrive();
            CompletableFuture<List<Oip.OutputTensor>> a = batcher.submit(request("a", 1, 3));
            refused.close();
            refused.close();
            a.get(10, TimeUnit.SECONDS);
            assertEquals(List.of(List.of("a")), engine.batches);
        }
    }

    @Test
    void stoppingAnswersTheRequestsOfAFormingBatch() throws Exception {
        Echo engine = new Echo(new CountDownLatch(0), "none");
        DynamicBatcher batcher =
                new DynamicBatcher(engine, new DynamicBatcher.Limits(8, TimeUnit.SECONDS.toNanos(60), 16), true);
        DynamicBatcher.Arrival announced = batcher.arrive();
        CompletableFuture<List<Oip.OutputTensor>> forming = batcher.submit(request("forming", 1, 3));
        Thread.sleep(200);
        batcher.close();
        ExecutionException failure = assertThrows(ExecutionException.class, () -> forming.get(10, TimeUnit.SECONDS));
        assertInstanceOf(DynamicBatcher.QueueFullException.class, failure.getCause());
        assertTrue(
                failure.getCause().getMessage().contains("shutting down"),
                failure.getCause().getMessage());
        assertEquals(List.of(), engine.batches, "a batch formed while stopping is not started");
        announced.close();
    }

    @Test
    void stoppingWaitsForTheBatchInTheEngineAndRefusesNewRequests() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Echo engine = new Echo(release, "none");
        DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(8, 0, 16), true);
        CompletableFuture<List<Oip.OutputTensor>> running = batcher.submit(request("running", 1, 3));
        assertTrue(engine.entered.await(10, TimeUnit.SECONDS));
        CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(batcher::stop);
        Thread.sleep(200);
        assertFalse(stopped.isDone(), "stop waits for the batch in the engine");
        DynamicBatcher.QueueFullException refused =
                assertThrows(DynamicBatcher.QueueFullException.class, () -> batcher.submit(request("late", 1, 3)));
        assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
        release.countDown();
        assertTrue(stopped.get(10, TimeUnit.SECONDS), "no batch runs any more");
        assertEquals("running", running.get(10, TimeUnit.SECONDS).get(0).name());
        assertEquals(0, batcher.queueDepth());
    }

    @Test
    void aRequestWhoseDeadlinePassedWhileQueuedNeverReachesTheEngineAndTheCallIsTimed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Echo engine = new Echo(release, "none");
        DynamicBatcher batcher = new DynamicBatcher(engine, new DynamicBatcher.Limits(1, 0, 16), true);
        CompletableFuture<List<Oip.OutputTensor>> running = batcher.submit(request("running", 1, 3));
        assertTrue(engine.entered.await(10, TimeUnit.SECONDS));
        CompletableFuture<List<Oip.OutputTensor>> late =
                batcher.submit(request("late", 1, 3)).orTimeout(50, TimeUnit.MILLISECONDS);
        ExecutionException timedOut = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
        assertInstanceOf(java.util.concurrent.TimeoutException.class, timedOut.getCause());
        assertTrue(batcher.longestEngineCall().toMillis() >= 50, "the held call is timed");

        release.countDown();
        assertEquals("running", running.get(10, TimeUnit.SECONDS).get(0).name());
        // One dispatcher, one request per batch: once a request queued behind the late one is answered, the late one
        // has been taken from the queue and dropped (waiting a fixed time instead proved nothing on a slow machine).
        assertEquals(
                "next",
                batcher.submit(request("next", 1, 3))
                        .get(10, TimeUnit.SECONDS)
                        .get(0)
                        .name());
        assertEquals(List.of(List.of("running"), List.of("next")), engine.batches, "the late request was not run");
        assertEquals(0, batcher.longestEngineCall().toNanos());
        assertEquals(0, batcher.queueDepth());
        batcher.stop();
    }
}
