package dev.quartet.worker;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.protobuf.ByteString;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * OIP v2 over gRPC, as a grpc-java client sees it: the tiny ResNet's answers equal ONNX Runtime called directly for
 * raw and typed contents (answered in kind), health and metadata, and the gRPC status Triton gives for each error.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcWorkerTest {

    private GrpcClient client;
    private EngineReference reference;

    @BeforeEach
    void connect() throws Exception {
        // Not in a @BeforeAll: the test's HTTP port is set for test methods.
        WorkerReady.await();
        if (client == null) {
            client = new GrpcClient();
            reference = new EngineReference(Path.of("models", "tiny-resnet.onnx"), ModelFormat.ONNX);
        }
    }

    @AfterAll
    void disconnect() throws Exception {
        client.close();
        reference.close();
    }

    private static ModelInferRequest.Builder request(int rows) {
        return ModelInferRequest.newBuilder().setModelName("tiny-resnet").setId("g-" + rows);
    }

    @Test
    void rawContentsAreAnsweredRawAndEqualTheEngine() throws Exception {
        float[] images = Requests.images(3, 11);
        ModelInferResponse response = client.call()
                .modelInfer(request(3)
                        .addInputs(GrpcClient.input("image", "FP32", 3, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(images))
                        .build());

        assertThat(response.getModelName()).isEqualTo("tiny-resnet");
        assertThat(response.getModelVersion()).isEqualTo("1");
        assertThat(response.getId()).isEqualTo("g-3");
        assertThat(response.getOutputs(0).getName()).isEqualTo("logits");
        assertThat(response.getOutputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(response.getOutputs(0).getShapeList()).containsExactly(3L, 10L);
        assertThat(response.getOutputs(0).hasContents()).isFalse();
        assertArrayEquals(reference.logits(images, 3), GrpcClient.rawFloats(response, 0), TinyResNetContract.TOLERANCE);
    }

    @Test
    void typedContentsAreAnsweredTypedAndEqualTheEngine() throws Exception {
        float[] images = Requests.images(2, 12);
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float f : images) {
            contents.addFp32Contents(f);
        }
        ModelInferResponse response = client.call()
                .modelInfer(request(2)
                        .addInputs(
                                GrpcClient.input("image", "FP32", 2, 3, 32, 32).setContents(contents))
                        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                                .setName("logits"))
                        .build());

        assertThat(response.getRawOutputContentsCount()).isZero();
        assertArrayEquals(
                reference.logits(images, 2),
                GrpcClient.floats(response.getOutputs(0).getContents().getFp32ContentsList()),
                TinyResNetContract.TOLERANCE);
    }

    @Test
    void fp16RawInputFeedsTheFp32Model() throws Exception {
        // FP16 has no typed field: it can only travel raw. The model takes FP32, as over REST.
        float[] images = Requests.images(1, 13);
        java.nio.ByteBuffer half =
                java.nio.ByteBuffer.allocate(images.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        float[] rounded = new float[images.length];
        for (int i = 0; i < images.length; i++) {
            short h = BatchExecutor.floatToHalf(images[i]);
            half.putShort(h);
            rounded[i] = TensorData.halfToFloat(h);
        }
        ModelInferResponse response = client.call()
                .modelInfer(request(1)
                        .addInputs(GrpcClient.input("image", "FP16", 1, 3, 32, 32))
                        .addRawInputContents(ByteString.copyFrom(half.array()))
                        .build());

        assertArrayEquals(
                reference.logits(rounded, 1), GrpcClient.rawFloats(response, 0), TinyResNetContract.TOLERANCE);
    }

    @Test
    void healthAndMetadata() {
        assertThat(client.call()
                        .serverLive(ServerLiveRequest.getDefaultInstance())
                        .getLive())
                .isTrue();
        assertThat(client.call()
                        .serverReady(ServerReadyRequest.getDefaultInstance())
                        .getReady())
                .isTrue();
        assertThat(client.call()
                        .modelReady(ModelReadyRequest.newBuilder()
                                .setName("tiny-resnet")
                                .build())
                        .getReady())
                .isTrue();
        assertThat(client.call()
                        .serverMetadata(ServerMetadataRequest.getDefaultInstance())
                        .getName())
                .isEqualTo("quartet-worker");
        ModelMetadataResponse metadata = client.call()
                .modelMetadata(ModelMetadataRequest.newBuilder()
                        .setName("tiny-resnet")
                        .setVersion("1")
                        .build());
        assertThat(metadata.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(metadata.getVersionsList()).containsExactly("1");
        assertThat(metadata.getInputs(0).getName()).isEqualTo("image");
        assertThat(metadata.getInputs(0).getShapeList()).containsExactly(-1L, 3L, 32L, 32L);
        assertThat(metadata.getOutputs(0).getName()).isEqualTo("logits");
    }

    @Test
    void errorsCarryTritonsStatusCodes() {
        float[] one = Requests.images(1, 14);
        refused(
                request(1)
                        .setModelName("no-such-model")
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(one)),
                Status.Code.NOT_FOUND,
                "unknown model 'no-such-model'");
        refused(
                request(1)
                        .setModelVersion("2")
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(one)),
                Status.Code.NOT_FOUND,
                "unknown version '2'");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 31))
                        .addRawInputContents(GrpcClient.raw(new float[3 * 32 * 31])),
                Status.Code.INVALID_ARGUMENT,
                "does not match the model's [-1, 3, 32, 32]");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(new float[10])),
                Status.Code.INVALID_ARGUMENT,
                "needs 3072 values, data has 10");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32)
                                .setContents(InferTensorContents.newBuilder().addIntContents(1))),
                Status.Code.INVALID_ARGUMENT,
                "FP32, whose values go in fp32_contents, but it gives [int_contents]");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP16", 1, 3, 32, 32)
                                .setContents(InferTensorContents.newBuilder().addFp32Contents(1))),
                Status.Code.INVALID_ARGUMENT,
                "FP16 has no typed contents field");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32))
                        .addInputs(GrpcClient.input("other", "FP32", 1))
                        .addRawInputContents(GrpcClient.raw(one)),
                Status.Code.INVALID_ARGUMENT,
                "raw_input_contents has 1 entries for 2 inputs");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "BYTES", 1, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(one)),
                Status.Code.INVALID_ARGUMENT,
                "datatype 'BYTES' is not supported");
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(one))
                        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                                .setName("nope")),
                Status.Code.INVALID_ARGUMENT,
                "unknown output 'nope'");
        assertThatThrownBy(() -> client.call()
                        .modelMetadata(ModelMetadataRequest.newBuilder()
                                .setName("other")
                                .build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void requestsAreCountedByProtocol() {
        client.call()
                .modelInfer(request(1)
                        .addInputs(GrpcClient.input("image", "FP32", 1, 3, 32, 32))
                        .addRawInputContents(GrpcClient.raw(Requests.images(1, 15)))
                        .build());
        String metrics =
                given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("outcome=\"ok\",protocol=\"grpc\"}");
    }

    @Test
    void aRequestOverTheSizeLimitIsResourceExhausted() {
        // The test profile's limit is 2M (application.properties): a 3 MB raw tensor is refused by gRPC itself.
        float[] big = new float[3 * 1024 * 1024 / 4];
        refused(
                request(1)
                        .addInputs(GrpcClient.input("image", "FP32", big.length))
                        .addRawInputContents(GrpcClient.raw(big)),
                Status.Code.RESOURCE_EXHAUSTED,
                "");
    }

    private void refused(ModelInferRequest.Builder request, Status.Code code, String message) {
        assertThatThrownBy(() -> client.call().modelInfer(request.build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(code);
                    assertThat(e.getStatus().getDescription()).contains(message);
                });
    }
}
