package dev.quartet.worker.bench;

import com.google.protobuf.ByteString;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's gRPC load generator: OIP v2 ModelInfer with the image as raw_input_contents (what Triton's and
 * KServe's clients send), the request built once, one channel (one HTTP/2 connection) per client thread as the REST
 * generator keeps one connection per thread. grpc-java's blocking stub; closing it closes every channel.
 */
final class GrpcLoadClient implements WorkerBenchmark.Call, AutoCloseable {

    private final String host;
    private final int port;
    private final ModelInferRequest request;
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
    private final ThreadLocal<GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub> stub = new ThreadLocal<>();

    /** {@code address} is host:port; the model is {@code model}, its one input {@code input} of {@code shape}. */
    GrpcLoadClient(String address, String model, String input, long[] shape, float[] image) {
        int colon = address.lastIndexOf(':');
        host = address.substring(0, colon);
        port = Integer.parseInt(address.substring(colon + 1));
        ByteBuffer raw = ByteBuffer.allocate(image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(image);
        ModelInferRequest.InferInputTensor.Builder tensor =
                ModelInferRequest.InferInputTensor.newBuilder().setName(input).setDatatype("FP32");
        for (long d : shape) {
            tensor.addShape(d);
        }
        request = ModelInferRequest.newBuilder()
                .setModelName(model)
                .addInputs(tensor)
                .addRawInputContents(ByteString.copyFrom(raw.array()))
                .build();
    }

    @Override
    public void call() {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub s = stub.get();
        if (s == null) {
            ManagedChannel channel = NettyChannelBuilder.forAddress(host, port)
                    .usePlaintext()
                    .maxInboundMessageSize(64 << 20)
                    .build();
            channels.add(channel);
            s = GRPCInferenceServiceGrpc.newBlockingStub(channel);
            stub.set(s);
        }
        ModelInferResponse response = s.withDeadlineAfter(120, TimeUnit.SECONDS).modelInfer(request);
        if (response.getOutputsCount() == 0) {
            throw new IllegalStateException("an answer without outputs");
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
