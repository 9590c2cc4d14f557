package dev.quartet.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.TimeoutException;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every refusal into an OIP error body {@code {"error": "..."}} with the right status. */
public class ErrorResponses {

    /** Seconds a client should wait after a 503. */
    static final String RETRY_AFTER_SECONDS = "1";

    private final WorkerMetrics metrics;
    private final ObjectMapper mapper;
    private final long maxRequestBytes;

    public ErrorResponses(WorkerMetrics metrics, ObjectMapper mapper, WorkerConfig config) {
        this.metrics = metrics;
        this.mapper = mapper;
        this.maxRequestBytes = config.maxRequestSize().asLongValue();
    }

    /** 413 for a body over the configured limit. */
    static InferenceError tooLarge(long bytes, long limit) {
        return new InferenceError(
                413,
                "too_large",
                "request body of " + bytes + " bytes exceeds the limit of " + limit
                        + " bytes (QUARTET_MAX_REQUEST_SIZE)");
    }

    /** The response for a failure. */
    static Response of(Throwable error) {
        if (error instanceof InferenceError e) {
            Response.ResponseBuilder builder = body(e.status(), e.getMessage());
            return e.status() == 503
                    ? builder.header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                            .build()
                    : builder.build();
        }
        if (error instanceof DynamicBatcher.QueueFullException) {
            return body(503, error.getMessage())
                    .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                    .build();
        }
        if (error instanceof TimeoutException) {
            return body(
                            504,
                            "no answer within the request timeout (QUARTET_BATCHING_REQUEST_TIMEOUT): the engine "
                                    + "is slower than that or stuck")
                    .build();
        }
        return body(500, "inference failed: " + error).build();
    }

    /** The metrics outcome label of a failure. */
    static String outcome(Throwable error) {
        if (error instanceof InferenceError e) {
            return e.outcome();
        }
        if (error instanceof TimeoutException) {
            return "timeout";
        }
        return error instanceof DynamicBatcher.QueueFullException ? "rejected" : "error";
    }

    private static Response.ResponseBuilder body(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Oip.ErrorBody(message));
    }

    /**
     * Rejects a declared Content-Length over the limit before the body is read. It runs just ahead of Quarkus'
     * check of {@code quarkus.http.limits.max-body-size}, set to the same size (application.properties), which
     * would answer 413 without an OIP error body; that limit still stops a body sent without Content-Length.
     */
    void limitBody(@Observes Router router) {
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::limitBody);
    }

    private void limitBody(RoutingContext context) {
        String length = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            context.next();
            return;
        }
        long bytes;
        try {
            bytes = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            refuse(context, 400, "invalid Content-Length '" + length + "'");
            return;
        }
        if (bytes > maxRequestBytes) {
            metrics.refused(InferenceResource.PROTOCOL, "too_large");
            refuse(context, 413, tooLarge(bytes, maxRequestBytes).getMessage());
            return;
        }
        context.next();
    }

    /** Answers without reading the body, then closes the connection so the unread body is not taken for a request. */
    private void refuse(RoutingContext context, int status, String message) {
        String json;
        try {
            json = mapper.writeValueAsString(new Oip.ErrorBody(message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        context.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON)
                .putHeader("Connection", "close")
                .endHandler(done -> context.request().connection().close())
                .end(json);
    }

    @ServerExceptionMapper
    public Response map(InferenceError error) {
        return of(error);
    }

    @ServerExceptionMapper
    public Response map(WebApplicationException error) {
        int status = error.getResponse().getStatus();
        return body(status, error.getMessage() == null ? "HTTP " + status : error.getMessage())
                .build();
    }

    @ServerExceptionMapper
    public Response map(RuntimeException error) {
        Log.warnf(error, "Unexpected failure");
        return of(error);
    }
}
