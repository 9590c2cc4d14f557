package dev.quartet.worker;

import java.util.function.LongSupplier;

/**
 * A count that changes by steps, and its integral over time (count x seconds), as Linux's weighted I/O time: the
 * growth of the integral between two readings divided by the time between them is the count's exact average over
 * that time. Queue depth under batching swings between 0 and a batch's worth at every engine call, so one reading of
 * the gauge says little; the average between two scrapes of the integral does not depend on when they fall.
 */
final class TimeIntegral {

    private final LongSupplier nanoClock;
    private long count;
    private long lastChange;
    private double countNanos;

    TimeIntegral() {
        this(System::nanoTime);
    }

    TimeIntegral(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.lastChange = nanoClock.getAsLong();
    }

    /** The count changed by {@code delta}. */
    synchronized void add(long delta) {
        long now = nanoClock.getAsLong();
        countNanos += (double) count * (now - lastChange);
        lastChange = now;
        count += delta;
    }

    /** The integral up to now, in count x seconds. */
    synchronized double seconds() {
        long now = nanoClock.getAsLong();
        return (countNanos + (double) count * (now - lastChange)) / 1e9;
    }
}
