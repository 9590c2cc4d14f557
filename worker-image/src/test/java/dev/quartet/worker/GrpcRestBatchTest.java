package dev.quartet.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A gRPC request and a REST request waiting at the same time go to the engine in one call: both protocols feed the
 * one batcher. The engine is held by a first request while the two others queue, then released.
 */
@QuarkusTest
@TestProfile(GrpcRestBatchTest.Profile.class)
class GrpcRestBatchTest {

    /** Serves mixed-types.onnx as "mixed". */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quartet.model.uri", "models/mixed-types.onnx", "quartet.model.name", "mixed");
        }
    }

    @Inject
    ServedModel served;

    @Inject
    ObjectMapper mapper;

    @Test
    void aGrpcAndARestRequestShareOneEngineCall() throws Exception {
        WorkerReady.await();
        // One dispatcher, up to 8 rows per call, no batching delay: what is queued when the engine frees goes together.
        HeldEngine engine = HeldEngine.serve(served, mapper, new DynamicBatcher.Limits(8, 0, 8));
        try (GrpcClient client = new GrpcClient()) {
            CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> rest(1));
            assertThat(engine.awaitRunning())
                    .as("first request reached the engine")
                    .isTrue();

            CompletableFuture<Integer> overRest = CompletableFuture.supplyAsync(() -> rest(2));
            CompletableFuture<ModelInferResponse> overGrpc = CompletableFuture.supplyAsync(() -> client.call()
                    .modelInfer(ModelInferRequest.newBuilder()
                            .setModelName("mixed")
                            .addInputs(GrpcClient.input("ids", "INT64", 1, 4)
                                    .setContents(InferTensorContents.newBuilder()
                                            .addAllInt64Contents(List.of(3L, 3L, 3L, 3L))))
                            .addInputs(GrpcClient.input("weights", "INT32", 1, 4)
                                    .setContents(
                                            InferTensorContents.newBuilder().addAllIntContents(List.of(1, 1, 1, 1))))
                            .addInputs(GrpcClient.input("mask", "BOOL", 1, 4)
                                    .setContents(InferTensorContents.newBuilder()
                                            .addAllBoolContents(List.of(true, true, true, true))))
                            .build()));
            for (int i = 0; i < 300 && served.queueDepth() < 2; i++) {
                Thread.sleep(100);
            }
            assertThat(served.queueDepth()).as("both wait for the engine").isEqualTo(2);

            engine.release();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(4);
            assertThat(overRest.get(30, TimeUnit.SECONDS)).isEqualTo(8);
            ModelInferResponse grpc = overGrpc.get(30, TimeUnit.SECONDS);
            assertThat(grpc.getOutputs(0).getName()).isEqualTo("weighted_sum");
            assertThat(grpc.getOutputs(0).getShapeList()).containsExactly(1L);
            assertThat(grpc.getOutputs(0).getContents().getInt64ContentsList()).containsExactly(12L);
            assertThat(grpc.getOutputs(2).getContents().getBoolContentsList()).containsExactly(true, true, true, true);
            assertThat(engine.calls())
                    .as("the REST and the gRPC request ran in one engine call")
                    .isEqualTo(2);
        }
    }

    private static int rest(int id) {
        return HeldEngine.send(id)
                .then()
                .statusCode(200)
                .body("outputs[0].shape", equalTo(List.of(1)))
                .extract()
                .jsonPath()
                .getInt("outputs[0].data[0]");
    }
}
