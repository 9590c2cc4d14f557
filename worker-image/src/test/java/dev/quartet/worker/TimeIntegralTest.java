package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The integral of a stepped count: what the operator divides by the time between two scrapes to get its average. */
class TimeIntegralTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theIntegralGrowsByTheCountTimesTheTimeItHeld() {
        AtomicLong clock = new AtomicLong(5 * SECOND);
        TimeIntegral integral = new TimeIntegral(clock::get);
        assertEquals(0.0, integral.seconds());
        integral.add(8); // a burst of 8 requests queues
        clock.addAndGet(SECOND / 2);
        integral.add(-8); // one engine call takes them all
        clock.addAndGet(SECOND / 2);
        // The gauge reads 0 now, but the queue held 8 for half of the last second: 4 on average.
        assertEquals(4.0, integral.seconds(), 1e-9);
        integral.add(2);
        clock.addAndGet(3 * SECOND);
        assertEquals(10.0, integral.seconds(), 1e-9, "read while the count is not 0: counted up to now");
        assertEquals(10.0, integral.seconds(), 1e-9, "reading changes nothing");
    }
}
