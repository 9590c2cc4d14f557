package dev.quartet.agent.core;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * When the agent's passes run: one every {@code resync}, whatever happens, and one {@code eventDelay} after an event
 * that may change what a pass writes (a pod of the node or the node itself changed), the events of that delay
 * coalesced into one pass. Passes of one scheduler never overlap, even on an executor with several threads (the
 * simulator runs the agents of all its nodes on one small pool).
 */
public final class PassScheduler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PassScheduler.class.getName());

    private final ScheduledExecutorService executor;
    private final Runnable pass;
    private final Duration eventDelay;
    private final Duration resync;
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Object running = new Object();
    private volatile boolean closed;
    private ScheduledFuture<?> periodic;

    /** Passes run {@code pass} on {@code executor}, which the caller owns and shuts down. */
    public PassScheduler(ScheduledExecutorService executor, Runnable pass, Duration eventDelay, Duration resync) {
        this.executor = executor;
        this.pass = pass;
        this.eventDelay = eventDelay;
        this.resync = resync;
    }

    /** Starts the periodic passes, the first after {@code first}. */
    public synchronized void start(Duration first) {
        if (periodic == null && !closed) {
            periodic = executor.scheduleWithFixedDelay(
                    this::runPass, first.toMillis(), resync.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Something changed: a pass runs {@code eventDelay} from now, unless one is already queued. */
    public void passSoon() {
        if (!closed && queued.compareAndSet(false, true)) {
            try {
                executor.schedule(
                        () -> {
                            queued.set(false);
                            runPass();
                        },
                        eventDelay.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                queued.set(false); // the executor is shutting down
            }
        }
    }

    private void runPass() {
        synchronized (running) {
            if (closed) {
                return;
            }
            try {
                pass.run();
            } catch (RuntimeException | Error e) {
                // a periodic task that throws stops recurring: the pass logs its own problems, this is the last guard
                LOG.log(Level.WARNING, "node agent pass failed: " + e, e);
            }
        }
    }

    /**
     * No pass starts after this returns; one in progress is not waited for (the simulator closes its agents on its
     * event loop, which a simulated pass may be waiting for).
     */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (periodic != null) {
                periodic.cancel(false);
            }
        }
    }
}
