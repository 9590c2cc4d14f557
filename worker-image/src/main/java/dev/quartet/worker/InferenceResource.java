package dev.quartet.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The KServe Open Inference Protocol v2 REST endpoints for the one served model (version "1").
 * Inference runs on the event loop up to the queue (parsing a body is short next to an inference,
 * and every thread hand-off costs latency on a busy CPU); the answer completes on the dispatcher.
 */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
public class InferenceResource {

    /** The model's one version. */
    static final String VERSION = "1";

    /** The {@code protocol} label of this endpoint's requests. */
    static final String PROTOCOL = "http";

    private final ServedModel served;
    private final WorkerMetrics metrics;
    private final ObjectMapper mapper;
    private final String modelName;
    private final long maxRequestBytes;
    private final long requestTimeoutNanos;
    private final ModelReadinessCheck readinessCheck;
    private final EngineLivenessCheck livenessCheck;
    private final String serverVersion;

    public InferenceResource(
            ServedModel served,
            WorkerMetrics metrics,
            ObjectMapper mapper,
            WorkerConfig config,
            @Readiness ModelReadinessCheck readinessCheck,
            @Liveness EngineLivenessCheck livenessCheck,
            @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String serverVersion) {
        this.served = served;
        this.metrics = metrics;
        this.mapper = mapper;
        this.modelName = config.model().name();
        this.maxRequestBytes = config.maxRequestSize().asLongValue();
        this.requestTimeoutNanos = config.batching().requestTimeout().toNanos();
        this.readinessCheck = readinessCheck;
        this.livenessCheck = livenessCheck;
        this.serverVersion = serverVersion;
    }

    @GET
    public Oip.ServerMetadata server() {
        return new Oip.ServerMetadata("quartet-worker", serverVersion, List.of("binary_tensor_data"));
    }

    @GET
    @Path("health/live")
    public Response live() {
        // What /q/health/live says: an engine call hung past engine-dead-after means this worker needs a restart.
        boolean live = livenessCheck.call().getStatus() == HealthCheckResponse.Status.UP;
        return Response.status(live ? 200 : 503).entity(Map.of("live", live)).build();
    }

    @GET
    @Path("health/ready")
    public Response ready() {
        return readiness();
    }

    @GET
    @Path("models/{name}")
    public Oip.ModelMetadata model(@PathParam("name") String name) {
        requireModel(name, VERSION);
        return served.metadata(modelName);
    }

    @GET
    @Path("models/{name}/versions/{version}")
    public Oip.ModelMetadata model(@PathParam("name") String name, @PathParam("version") String version) {
        requireModel(name, version);
        return served.metadata(modelName);
    }

    @GET
    @Path("models/{name}/ready")
    public Response modelReady(@PathParam("name") String name) {
        requireModel(name, VERSION);
        return readiness();
    }

    @GET
    @Path("models/{name}/versions/{version}/ready")
    public Response modelReady(@PathParam("name") String name, @PathParam("version") String version) {
        requireModel(name, version);
        return readiness();
    }

    @POST
    @Path("models/{name}/infer")
    @Consumes(MediaType.WILDCARD)
    public CompletionStage<Response> infer(
            @PathParam("name") String name, @HeaderParam(BinaryTensorData.HEADER) String jsonLength, byte[] body) {
        return infer(name, VERSION, jsonLength, body);
    }

    @POST
    @Path("models/{name}/versions/{version}/infer")
    @Consumes(MediaType.WILDCARD)
    public CompletionStage<Response> infer(
            @PathParam("name") String name,
            @PathParam("version") String version,
            @HeaderParam(BinaryTensorData.HEADER) String jsonLength,
            byte[] body) {
        long start = metrics.begin();
        try (DynamicBatcher.Arrival arrival = served.arrive()) {
            requireModel(modelName, name, version);
            if (body.length > maxRequestBytes) {
                throw ErrorResponses.tooLarge(body.length, maxRequestBytes);
            }
            if (served.queueFull()) {
                // Refused before the parse: under overload, parsing requests only to refuse them takes the CPU
                // and heap the engine needs (a 1.6 MB JSON image costs milliseconds).
                throw new DynamicBatcher.QueueFullException();
            }
            Oip.InferRequest request = parse(body, jsonLength);
            // Completed on the dispatcher thread, or on the JDK's timeout thread when the timeout fires: building
            // the Response is cheap, Quarkus writes it. The JDK's thread is shared by the whole JVM and keeps the
            // class loader of whoever started it, so the Response is built with this request's.
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            return served.infer(request, arrival)
                    .orTimeout(requestTimeoutNanos, TimeUnit.NANOSECONDS)
                    .handle((outputs, error) -> withClassLoader(
                            loader, () -> error == null ? answer(request, outputs, start) : failure(error, start)));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failure(e, start));
        }
    }

    private Oip.InferRequest parse(byte[] body, String jsonLength) {
        int length = body.length;
        if (jsonLength != null) {
            try {
                length = Integer.parseInt(jsonLength.trim());
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (length < 0 || length > body.length) {
                throw InferenceError.badRequest(BinaryTensorData.HEADER + " '" + jsonLength + "' does not fit the "
                        + body.length + "-byte body");
            }
        }
        try {
            Oip.InferRequest request = read(body, length);
            return jsonLength == null
                    ? request
                    : BinaryTensorData.attach(request, ByteBuffer.wrap(body, length, body.length - length));
        } catch (JsonProcessingException e) {
            throw InferenceError.badRequest("malformed request JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw InferenceError.badRequest("unreadable request body: " + e.getMessage());
        }
    }

    /**
     * The request from its JSON: tensor data arrays read by {@link JsonTensorScan} when it can, the rest (or
     * everything, for anything it does not read) by Jackson.
     */
    private Oip.InferRequest read(byte[] body, int length) throws IOException {
        Optional<JsonTensorScan.Scanned> scanned = JsonTensorScan.scan(body, length);
        if (scanned.isPresent()) {
            Oip.InferRequest request = mapper.readValue(scanned.get().json(), Oip.InferRequest.class);
            List<TensorData> data = scanned.get().data();
            if (request.inputs() != null && request.inputs().size() == data.size()) {
                List<Oip.InputTensor> inputs = new ArrayList<>();
                for (int i = 0; i < data.size(); i++) {
                    Oip.InputTensor input = request.inputs().get(i);
                    inputs.add(
                            input == null || data.get(i) == null
                                    ? input
                                    : new Oip.InputTensor(
                                            input.name(),
                                            input.shape(),
                                            input.datatype(),
                                            input.parameters(),
                                            data.get(i)));
                }
                return new Oip.InferRequest(request.id(), request.parameters(), inputs, request.outputs());
            }
        }
        return mapper.readValue(body, 0, length, Oip.InferRequest.class);
    }

    private static Response withClassLoader(ClassLoader loader, Supplier<Response> build) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        if (previous == loader) {
            return build.get();
        }
        thread.setContextClassLoader(loader);
        try {
            return build.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private Response answer(Oip.InferRequest request, List<Oip.OutputTensor> outputs, long start) {
        metrics.end(PROTOCOL, "ok", start);
        return Response.ok(new Oip.InferResponse(modelName, VERSION, request.id(), outputs))
                .build();
    }

    private Response failure(Throwable error, long start) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        Response response = ErrorResponses.of(cause);
        if (response.getStatus() >= 500 && response.getStatus() != 503) {
            Log.warnf(cause, "Inference on model %s failed", modelName);
        }
        metrics.end(PROTOCOL, ErrorResponses.outcome(cause), start);
        return response;
    }

    private Response readiness() {
        // What /q/health/ready says: loaded and warmed up, and no engine call hung past engine-stuck-after.
        return readinessCheck.call().getStatus() == HealthCheckResponse.Status.UP
                ? Response.ok(Map.of("ready", true)).build()
                : Response.status(503).entity(Map.of("ready", false)).build();
    }

    private void requireModel(String name, String version) {
        requireModel(modelName, name, version);
    }

    /**
     * Refuses with 404 a request for another model or version than {@code served}'s one.
     *
     * @throws InferenceError (404) naming what this worker serves
     */
    static void requireModel(String modelName, String name, String version) {
        if (!modelName.equals(name)) {
            throw InferenceError.notFound("unknown model '" + name + "'; this worker serves '" + modelName + "'");
        }
        if (!VERSION.equals(version)) {
            throw InferenceError.notFound(
                    "unknown version '" + version + "' of model '" + name + "'; it has " + VERSION);
        }
    }
}
