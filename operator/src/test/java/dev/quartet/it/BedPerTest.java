package dev.quartet.it;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** Test classes whose every test builds its own {@link OperatorTestBed}; each ends with the safety check. */
abstract class BedPerTest {

    static final Duration SOON = Duration.ofSeconds(120);
    OperatorTestBed bed;

    @AfterEach
    void close() {
        if (bed != null) {
            // Closed even when the check fails: a bed left running keeps its nodes and workers for the next tests.
            try {
                bed.assertNoNonMovableReplicaDeleted();
            } finally {
                bed.close();
            }
        }
    }
}
