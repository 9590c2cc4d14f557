package dev.quartet.worker;

import io.quarkus.logging.Log;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Turns every refusal into an OIP error body {@code {"error": "..."}} with the right status. */
public class ErrorResponses {

    /** Seconds a client should wait after a 503. */
    static final String RETRY_AFTER_SECONDS = "1";

    private final WorkerMetrics metrics;
    private final long maxRequestBytes;

    public ErrorResponses(WorkerMetrics metrics, WorkerConfig config) {
        this.metrics = metrics;
        this.maxRequestBytes = config.maxRequestSize().asLongValue();
    }

    /** 413 for a body over the configured limit. */
    static InferenceError tooLarge(long bytes, long limit) {
        return new InferenceError(413, "too_large", "request body of " + bytes + " bytes exceeds the limit of "
                + limit + " bytes (QUARTET_MAX_REQUEST_SIZE)");
    }

    /** The response for a failure. */
    static Response of(Throwable error) {
        if (error instanceof InferenceError e) {
            Response.ResponseBuilder builder = body(e.status(), e.getMessage());
            return e.status() == 503 ? builder.header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS).build()
                    : builder.build();
        }
        if (error instanceof DynamicBatcher.QueueFullException) {
            return body(503, error.getMessage()).header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS).build();
        }
        return body(500, "inference failed: " + error).build();
    }

    /** The metrics outcome label of a failure. */
    static String outcome(Throwable error) {
        if (error instanceof InferenceError e) {
            return e.outcome();
        }
        return error instanceof DynamicBatcher.QueueFullException ? "rejected" : "error";
    }

    private static Response.ResponseBuilder body(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Oip.ErrorBody(message));
    }

    /** Rejects a declared Content-Length over the limit before the body is read. */
    @ServerRequestFilter(preMatching = true)
    public Optional<Response> limitBody(HttpHeaders headers) {
        String length = headers.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                long bytes = Long.parseLong(length.trim());
                if (bytes > maxRequestBytes) {
                    metrics.request("too_large", -1);
                    return Optional.of(of(tooLarge(bytes, maxRequestBytes)));
                }
            } catch (NumberFormatException e) {
                return Optional.of(body(400, "invalid Content-Length '" + length + "'").build());
            }
        }
        return Optional.empty();
    }

    @ServerExceptionMapper
    public Response map(InferenceError error) {
        return of(error);
    }

    @ServerExceptionMapper
    public Response map(WebApplicationException error) {
        int status = error.getResponse().getStatus();
        return body(status, error.getMessage() == null ? "HTTP " + status : error.getMessage()).build();
    }

    @ServerExceptionMapper
    public Response map(RuntimeException error) {
        Log.warnf(error, "Unexpected failure");
        return of(error);
    }
}
