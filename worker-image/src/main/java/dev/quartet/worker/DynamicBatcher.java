package dev.quartet.worker;

import io.quarkus.logging.Log;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Merges concurrent requests into batches of up to {@code maxBatchSize} rows with the same non-batch
 * shapes. The first request of a batch takes whatever is already queued, and waits (at most
 * {@code maxBatchDelay}) only for requests announced by {@link #arrive()} that are still being read
 * and parsed (an announcement ends only once its request is queued): a lone request pays no delay.
 * At most {@code queueLimit} requests wait (queued, set aside for a batch of their shape, or in the
 * batch being formed); more are rejected. {@code workers} dispatcher threads
 * each form a batch (one at a time) and run it on the engine, so batches can overlap;
 * when a merged batch fails, its requests are retried one by one so a bad one cannot fail the others.
 * {@link #stop()} refuses new requests, fails those not yet in the engine and waits for running batches.
 */
public final class DynamicBatcher implements AutoCloseable {

    /** Batching limits. */
    public record Limits(int maxBatchSize, long maxBatchDelayNanos, int queueLimit, int workers) {

        /** One worker. */
        public Limits(int maxBatchSize, long maxBatchDelayNanos, int queueLimit) {
            this(maxBatchSize, maxBatchDelayNanos, queueLimit, 1);
        }
    }

    /**
     * Points where a test holds a thread to force one interleaving of a submitter and a dispatcher; no-ops in use.
     */
    interface Interleaving {
        Interleaving NONE = new Interleaving() {};

        /** A submitting thread, right before its request enters the queue. */
        default void beforeQueueing(ValidatedRequest request) {}

        /**
         * A dispatcher forming a batch found the queue empty; {@code announced}: whether it saw requests on their way
         * (read before it looked at the queue).
         */
        default void foundQueueEmpty(boolean announced) {}
    }

    private record Pending(
            ValidatedRequest request, CompletableFuture<List<Oip.OutputTensor>> result, long enqueuedNanos) {}

    /** Longest {@link #stop()} waits for batches already in the engine. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How often a waiting batch re-checks whether announced requests are still on their way. */
    private static final long ARRIVAL_CHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final BatchRunner runner;
    private final int maxRows;
    private final long delayNanos;
    private final int queueLimit;
    private final BlockingQueue<Pending> queue;
    private final Deque<Pending> held = new ConcurrentLinkedDeque<>();
    /**
     * One permit per request allowed to wait, taken on submit and returned when its batch goes to the engine.
     * The queue alone cannot bound the waiting: forming a batch moves requests of other shapes from the queue
     * into {@code held}, which would make room in the queue for more.
     */
    private final Semaphore waiting;
    /** Most rows one request may have: the batch size limit, which bounds every engine call (none unbatched). */
    private final int rowLimit;

    private final AtomicInteger arriving = new AtomicInteger();
    /** {@link #queueDepth()} integrated over time: changed wherever {@code waiting} is. */
    private final TimeIntegral queued = new TimeIntegral();

    private final List<Thread> dispatchers = new ArrayList<>();
    /** Per dispatcher thread running an engine call: when the call started ({@link System#nanoTime()}). */
    private final Map<Thread, Long> engineCalls = new ConcurrentHashMap<>();

    private final Object forming = new Object();
    private final Interleaving interleaving;
    private volatile boolean running = true;

    /** Starts the dispatcher threads; {@code batchable} false means every request runs alone. */
    public DynamicBatcher(BatchRunner runner, Limits limits, boolean batchable) {
        this(runner, limits, batchable, Interleaving.NONE);
    }

    DynamicBatcher(BatchRunner runner, Limits limits, boolean batchable, Interleaving interleaving) {
        if (limits.maxBatchSize() < 1
                || limits.queueLimit() < 1
                || limits.maxBatchDelayNanos() < 0
                || limits.workers() < 1) {
            throw new IllegalArgumentException("batching limits must be positive: " + limits);
        }
        this.runner = runner;
        this.interleaving = interleaving;
        this.maxRows = batchable ? limits.maxBatchSize() : 1;
        this.rowLimit = batchable ? limits.maxBatchSize() : Integer.MAX_VALUE;
        this.delayNanos = limits.maxBatchDelayNanos();
        this.queueLimit = limits.queueLimit();
        this.queue = new ArrayBlockingQueue<>(limits.queueLimit());
        this.waiting = new Semaphore(limits.queueLimit());
        for (int i = 0; i < limits.workers(); i++) {
            Thread dispatcher = new Thread(this::dispatch, "inference-dispatcher-" + i);
            dispatcher.setDaemon(true);
            dispatchers.add(dispatcher);
            dispatcher.start();
        }
    }

    /** Announces a request that is being read; submit with it, or close it when the request is refused. */
    public Arrival arrive() {
        arriving.incrementAndGet();
        return new Arrival(arriving);
    }

    /** A request on its way to {@link #submit}; closing it more than once is harmless. */
    public static final class Arrival implements AutoCloseable {
        /** An arrival nobody waits for (the model is not ready yet). */
        public static final Arrival NONE = new Arrival(null);

        private final AtomicInteger counter;
        private final AtomicBoolean done = new AtomicBoolean();

        private Arrival(AtomicInteger counter) {
            this.counter = counter;
        }

        @Override
        public void close() {
            if (counter != null && done.compareAndSet(false, true)) {
                counter.decrementAndGet();
            }
        }
    }

    /** Queues a request that was announced by {@code arrival}, which is closed once the request is queued or refused. */
    public CompletableFuture<List<Oip.OutputTensor>> submit(ValidatedRequest request, Arrival arrival) {
        try {
            return submit(request);
        } finally {
            // Not before: a forming batch that saw nothing queued and nothing announced would run without this request.
            arrival.close();
        }
    }

    /**
     * Queues a request.
     *
     * @return its outputs, or a future failed with the engine's error
     * @throws QueueFullException when {@code queueLimit} requests are already waiting, or after {@link #stop()}
     * @throws InferenceError (400) when the request alone has more rows than one engine call may take
     */
    public CompletableFuture<List<Oip.OutputTensor>> submit(ValidatedRequest request) {
        if (!running) {
            throw QueueFullException.stopping();
        }
        if (request.rows() > rowLimit) {
            throw InferenceError.badRequest("the request has " + request.rows() + " rows; this worker runs at most "
                    + rowLimit + " per engine call (QUARTET_BATCHING_MAX_BATCH_SIZE): send them in smaller requests");
        }
        if (!waiting.tryAcquire()) {
            throw new QueueFullException();
        }
        queued.add(1);
        Pending pending = new Pending(request, new CompletableFuture<>(), System.nanoTime());
        interleaving.beforeQueueing(request);
        queue.add(pending);
        // stop() clears running before it drains the queue: if it did not see this request, this sees it stopped.
        if (!running && queue.remove(pending)) {
            waiting.release();
            queued.add(-1);
            throw QueueFullException.stopping();
        }
        return pending.result();
    }

    /** Whether a request submitted now would be refused for a full queue (checked again when it is). */
    public boolean full() {
        return waiting.availablePermits() == 0;
    }

    /** Requests waiting for the engine (queued, held for a batch of their shape, or in a forming batch). */
    public int queueDepth() {
        return queueLimit - waiting.availablePermits();
    }

    /** The integral of {@link #queueDepth()} over time since the batcher started, in requests x seconds. */
    public double queueDepthSeconds() {
        return queued.seconds();
    }

    /** Forms and runs batches until stopped; every request it takes is answered, whatever happens. */
    private void dispatch() {
        while (running) {
            List<Pending> batch = new ArrayList<>();
            try {
                form(batch);
                if (!running) {
                    fail(batch, QueueFullException.stopping());
                } else if (!batch.isEmpty()) {
                    execute(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(batch, QueueFullException.stopping());
                return;
            } catch (RuntimeException | Error e) {
                Log.errorf(e, "Dispatcher survived an unexpected failure");
                fail(batch, e);
            }
        }
    }

    /** Fills {@code batch} (left empty when nothing waits); its requests stop counting as waiting. */
    private void form(List<Pending> batch) throws InterruptedException {
        try {
            synchronized (forming) {
                Pending first = held.isEmpty() ? queue.poll(100, TimeUnit.MILLISECONDS) : held.poll();
                if (first != null) {
                    collect(first, batch);
                }
            }
        } finally {
            waiting.release(batch.size());
            queued.add(-batch.size());
        }
    }

    private void collect(Pending first, List<Pending> batch) throws InterruptedException {
        batch.add(first);
        int rows = first.request().rows();
        List<List<Long>> key = first.request().batchKey();
        for (Iterator<Pending> it = held.iterator(); it.hasNext() && rows < maxRows; ) {
            Pending next = it.next();
            if (fits(next, key, rows)) {
                it.remove();
                batch.add(next);
                rows += next.request().rows();
            }
        }
        long deadline = first.enqueuedNanos() + delayNanos;
        while (rows < maxRows && running) {
            // Announcements first, then the queue: a request stops being announced only once it is queued, so one
            // whose announcement ended before this read is found by the poll below.
            boolean announced = arriving.get() > 0;
            Pending next = queue.poll();
            if (next == null) {
                interleaving.foundQueueEmpty(announced);
                long wait = deadline - System.nanoTime();
                if (wait <= 0 || !announced) {
                    break;
                }
                next = queue.poll(Math.min(wait, ARRIVAL_CHECK_NANOS), TimeUnit.NANOSECONDS);
                if (next == null) {
                    continue;
                }
            }
            if (fits(next, key, rows)) {
                batch.add(next);
                rows += next.request().rows();
            } else {
                held.add(next);
            }
        }
    }

    private boolean fits(Pending next, List<List<Long>> key, int rows) {
        return rows + next.request().rows() <= maxRows
                && next.request().batchKey().equals(key);
    }

    /** The engine, timed: the calls running now are visible to {@link #longestEngineCall()}. */
    private List<List<Oip.OutputTensor>> run(List<ValidatedRequest> requests) {
        Thread self = Thread.currentThread();
        engineCalls.put(self, System.nanoTime());
        try {
            return runner.run(requests);
        } finally {
            engineCalls.remove(self);
        }
    }

    /** How long the oldest engine call running now has been running (zero when none runs). */
    public Duration longestEngineCall() {
        long now = System.nanoTime();
        return Duration.ofNanos(engineCalls.values().stream()
                .mapToLong(start -> now - start)
                .max()
                .orElse(0));
    }

    private void execute(List<Pending> batch) {
        // A request answered already (its deadline passed while it waited) is not worth an engine call.
        batch.removeIf(p -> p.result().isDone());
        if (batch.isEmpty()) {
            return;
        }
        try {
            List<List<Oip.OutputTensor>> outputs =
                    run(batch.stream().map(Pending::request).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(outputs.get(i));
            }
        } catch (RuntimeException | Error e) {
            if (batch.size() == 1) {
                batch.get(0).result().completeExceptionally(e);
                return;
            }
            Log.warnf("A batch of %d requests failed (%s); running them one by one", batch.size(), e.toString());
            for (Pending pending : batch) {
                try {
                    pending.result().complete(run(List.of(pending.request())).get(0));
                } catch (RuntimeException | Error single) {
                    pending.result().completeExceptionally(single);
                }
            }
        }
    }

    private static void fail(List<Pending> batch, Throwable error) {
        batch.forEach(p -> p.result().completeExceptionally(error));
    }

    /**
     * Refuses new requests, fails every request not yet in the engine (queued, held or in a forming batch) with
     * {@link QueueFullException}, and waits up to {@link #STOP_TIMEOUT} for the batches in the engine to finish.
     * The dispatchers are not interrupted: an interrupt could land in the engine call.
     *
     * @return true when no batch runs any more (the model may be closed)
     */
    public boolean stop() {
        running = false;
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        try {
            for (Thread dispatcher : dispatchers) {
                dispatcher.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Pending> left = new ArrayList<>();
        for (Pending p = held.poll(); p != null; p = held.poll()) {
            left.add(p);
        }
        queue.drainTo(left);
        waiting.release(left.size());
        queued.add(-left.size());
        fail(left, QueueFullException.stopping());
        return dispatchers.stream().noneMatch(Thread::isAlive);
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /** The queue is full (or the worker is stopping): the caller should retry later. */
    public static final class QueueFullException extends RuntimeException {
        public QueueFullException() {
            this("the inference queue is full; retry later");
        }

        private QueueFullException(String message) {
            super(message, null, false, false);
        }

        /** The worker is shutting down. */
        static QueueFullException stopping() {
            return new QueueFullException("the worker is shutting down; retry later");
        }
    }
}
