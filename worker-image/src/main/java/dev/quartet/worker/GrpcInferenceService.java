package dev.quartet.worker;

import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ModelReadyResponse;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerLiveResponse;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerMetadataResponse;
import inference.GrpcPredictV2.ServerReadyRequest;
import inference.GrpcPredictV2.ServerReadyResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.logging.Log;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The KServe Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}, on its own port): the same
 * model, validator, batcher, health and metrics as the REST endpoints, so a gRPC and a REST request can share a
 * batch. Errors carry the gRPC status Triton gives for the same failure ({@link #status}).
 */
@GrpcService
public class GrpcInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    /** The {@code protocol} label of this endpoint's requests. */
    static final String PROTOCOL = "grpc";

    private final ServedModel served;
    private final WorkerMetrics metrics;
    private final String modelName;
    private final long requestTimeoutNanos;
    private final ModelReadinessCheck readinessCheck;
    private final EngineLivenessCheck livenessCheck;
    private final String serverVersion;

    public GrpcInferenceService(
            ServedModel served,
            WorkerMetrics metrics,
            WorkerConfig config,
            @Readiness ModelReadinessCheck readinessCheck,
            @Liveness EngineLivenessCheck livenessCheck,
            @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String serverVersion) {
        this.served = served;
        this.metrics = metrics;
        this.modelName = config.model().name();
        this.requestTimeoutNanos = config.batching().requestTimeout().toNanos();
        this.readinessCheck = readinessCheck;
        this.livenessCheck = livenessCheck;
        this.serverVersion = serverVersion;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
        boolean live = livenessCheck.call().getStatus() == HealthCheckResponse.Status.UP;
        reply(observer, ServerLiveResponse.newBuilder().setLive(live).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
        reply(observer, ServerReadyResponse.newBuilder().setReady(ready()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
        try {
            requireModel(request.getName(), request.getVersion());
            reply(observer, ModelReadyResponse.newBuilder().setReady(ready()).build());
        } catch (RuntimeException e) {
            observer.onError(exception(e));
        }
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
        reply(
                observer,
                ServerMetadataResponse.newBuilder()
                        .setName("quartet-worker")
                        .setVersion(serverVersion)
                        .build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
        try {
            requireModel(request.getName(), request.getVersion());
            Oip.ModelMetadata m = served.metadata(modelName);
            ModelMetadataResponse.Builder response = ModelMetadataResponse.newBuilder()
                    .setName(m.name())
                    .addAllVersions(m.versions())
                    .setPlatform(m.platform());
            m.inputs().forEach(t -> response.addInputs(tensor(t)));
            m.outputs().forEach(t -> response.addOutputs(tensor(t)));
            reply(observer, response.build());
        } catch (RuntimeException e) {
            observer.onError(exception(e));
        }
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
        long start = metrics.begin();
        try (DynamicBatcher.Arrival arrival = served.arrive()) {
            requireModel(request.getModelName(), request.getModelVersion());
            if (served.queueFull()) {
                // As over REST: refused before the tensors are packed.
                throw new DynamicBatcher.QueueFullException();
            }
            Oip.InferRequest oip = GrpcTensors.request(request);
            boolean raw = request.getRawInputContentsCount() > 0;
            served.infer(oip, arrival)
                    .orTimeout(requestTimeoutNanos, TimeUnit.NANOSECONDS)
                    .whenComplete((outputs, error) -> {
                        if (error == null) {
                            answer(observer, oip.id(), outputs, raw, start);
                        } else {
                            fail(observer, error, start);
                        }
                    });
        } catch (RuntimeException e) {
            fail(observer, e, start);
        }
    }

    private void answer(
            StreamObserver<ModelInferResponse> observer,
            String id,
            List<Oip.OutputTensor> outputs,
            boolean raw,
            long start) {
        ModelInferResponse response;
        try {
            response = GrpcTensors.response(modelName, InferenceResource.VERSION, id, outputs, raw);
        } catch (RuntimeException e) {
            fail(observer, e, start);
            return;
        }
        metrics.end(PROTOCOL, "ok", start);
        try {
            reply(observer, response);
        } catch (StatusRuntimeException e) {
            Log.debugf("gRPC client gone before its answer: %s", e.getStatus());
        }
    }

    private void fail(StreamObserver<?> observer, Throwable error, long start) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        Status status = status(cause);
        if (status.getCode() == Status.Code.INTERNAL) {
            Log.warnf(cause, "Inference on model %s failed", modelName);
        }
        metrics.end(PROTOCOL, ErrorResponses.outcome(cause), start);
        try {
            observer.onError(status.asRuntimeException());
        } catch (IllegalStateException | StatusRuntimeException e) {
            Log.debugf("gRPC client gone before its error: %s", e.getMessage());
        }
    }

    /**
     * The gRPC status of a failure, as Triton maps its errors: a bad request {@code INVALID_ARGUMENT}, an unknown
     * model or version {@code NOT_FOUND}, not ready, queue full or shutting down {@code UNAVAILABLE} (a client may
     * retry), an engine failure {@code INTERNAL}; a request over the size limit is refused by gRPC itself with
     * {@code RESOURCE_EXHAUSTED}, and one that got no answer within the request timeout is
     * {@code DEADLINE_EXCEEDED}. The description is the message REST puts in its error body.
     */
    static Status status(Throwable error) {
        if (error instanceof InferenceError e) {
            Status status = switch (e.status()) {
                case 400 -> Status.INVALID_ARGUMENT;
                case 404 -> Status.NOT_FOUND;
                case 413 -> Status.RESOURCE_EXHAUSTED;
                case 503 -> Status.UNAVAILABLE;
                default -> Status.INTERNAL;
            };
            return status.withDescription(e.getMessage());
        }
        if (error instanceof DynamicBatcher.QueueFullException) {
            return Status.UNAVAILABLE.withDescription(error.getMessage());
        }
        if (error instanceof TimeoutException) {
            return Status.DEADLINE_EXCEEDED.withDescription(
                    "no answer within the request timeout (QUARTET_BATCHING_REQUEST_TIMEOUT): the engine is slower"
                            + " than that or stuck");
        }
        return Status.INTERNAL.withDescription("inference failed: " + error);
    }

    private static StatusRuntimeException exception(Throwable error) {
        return status(error).asRuntimeException();
    }

    private void requireModel(String name, String version) {
        InferenceResource.requireModel(modelName, name, version.isEmpty() ? InferenceResource.VERSION : version);
    }

    private boolean ready() {
        return readinessCheck.call().getStatus() == HealthCheckResponse.Status.UP;
    }

    private static ModelMetadataResponse.TensorMetadata tensor(Oip.TensorMetadata t) {
        return ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(t.name())
                .setDatatype(t.datatype())
                .addAllShape(t.shape())
                .build();
    }

    private static <T> void reply(StreamObserver<T> observer, T response) {
        observer.onNext(response);
        observer.onCompleted();
    }
}
