package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.core.Response;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How failures map to OIP error answers and metric outcomes. */
class ErrorResponsesTest {

    @Test
    void aRequestPastItsDeadlineGets504AndCountsAsATimeout() {
        Response response = ErrorResponses.of(new TimeoutException());

        assertEquals(504, response.getStatus());
        assertTrue(((Oip.ErrorBody) response.getEntity()).error().contains("QUARTET_BATCHING_REQUEST_TIMEOUT"));
        assertEquals("timeout", ErrorResponses.outcome(new TimeoutException()));
    }
}
