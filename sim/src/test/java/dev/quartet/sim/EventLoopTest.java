package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Errors thrown by simulator tasks (e.g. a class that can no longer be loaded) are logged and stop nothing. */
class EventLoopTest {

    private final EventLoop loop = new EventLoop();
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(EventLoop.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stop() {
        logger.removeHandler(capture);
        loop.shutdown();
    }

    @Test
    void anErrorInATaskIsLoggedAndTheLoopGoesOn() {
        loop.execute(() -> {
            throw new NoClassDefFoundError("dev/quartet/sim/SimulatedNode$Admitted");
        });
        assertThat(loop.call(() -> "still running")).isEqualTo("still running");
        assertThat(logged).anySatisfy(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.SEVERE);
            assertThat(r.getThrown()).isInstanceOf(NoClassDefFoundError.class);
        });
    }

    @Test
    void aPeriodicTaskKeepsRecurringAfterAnError() {
        AtomicInteger runs = new AtomicInteger();
        loop.every(
                () -> {
                    if (runs.incrementAndGet() == 1) {
                        throw new StackOverflowError();
                    }
                },
                Duration.ofMillis(20));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 3);
    }
}
