package dev.quartet.sim;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The simulator's single thread: every state change runs here; a failing task is logged, never silently lost. */
final class EventLoop {

    private static final Logger LOG = Logger.getLogger(EventLoop.class.getName());
    private static final AtomicInteger COUNT = new AtomicInteger();

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpu-sim-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    void execute(Runnable task) {
        if (!executor.isShutdown()) {
            executor.execute(guarded(task));
        }
    }

    ScheduledFuture<?> schedule(Runnable task, Duration after) {
        return executor.schedule(guarded(task), after.toMillis(), TimeUnit.MILLISECONDS);
    }

    void every(Runnable task, Duration period) {
        executor.scheduleWithFixedDelay(guarded(task), period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} on the loop and waits for its result (at most 60 s). */
    <T> T call(Callable<T> task) {
        try {
            return executor.submit(task).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("simulator event loop did not answer in 60 s", e);
        }
    }

    void shutdown() {
        executor.shutdownNow();
    }

    /**
     * A task that logs what it throws. The executor must never see a throwable: it would store it in the task's future
     * (nobody reads those of {@link #execute} and {@link #every}), and a periodic task would silently stop recurring.
     * Errors (a class that cannot be loaded, a stack overflow, an exhausted heap) are caught too, for that reason.
     */
    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "simulator task failed: " + e, e);
            } catch (Error e) {
                LOG.log(Level.SEVERE, "simulator task failed with an error: " + e, e);
            }
        };
    }
}
