package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class EngineSettingsTest {

    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    @Test
    void unsetThreadsPerCallShareTheCpusAmongTheBatchWorkers() {
        assertEquals(CPUS, EngineSettings.threadsPerCall(Optional.empty(), 1));
        assertEquals(Math.max(1, CPUS / 2), EngineSettings.threadsPerCall(Optional.empty(), 2));
        assertEquals(1, EngineSettings.threadsPerCall(Optional.empty(), CPUS + 1), "never fewer than one");
    }

    @Test
    void aConfiguredThreadsPerCallWins() {
        assertEquals(3, EngineSettings.threadsPerCall(Optional.of(3), 2));
    }

    @Test
    void aConfiguredThreadsPerCallBelowOneIsRefusedByName() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> EngineSettings.threadsPerCall(Optional.of(0), 2));
        assertTrue(e.getMessage().contains("quartet.engine.threads-per-call"), e.getMessage());
    }
}
