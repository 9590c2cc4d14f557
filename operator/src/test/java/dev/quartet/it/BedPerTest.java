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
            bed.assertNoNonMovableReplicaDeleted();
            bed.close();
        }
    }
}
