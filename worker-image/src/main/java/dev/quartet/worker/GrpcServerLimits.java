package dev.quartet.worker;

import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Gives the gRPC server (Quarkus' separate server, built with Vert.x' grpc-java builder) the request size limit REST has ({@code QUARTET_MAX_REQUEST_SIZE}): gRPC's own default, 4 MiB,
 * would refuse a batch of a few images that REST serves. A larger message is refused by gRPC with
 * {@code RESOURCE_EXHAUSTED} before it is read.
 */
@ApplicationScoped
public class GrpcServerLimits implements ServerBuilderCustomizer<VertxServerBuilder> {

    private final int maxMessageBytes;

    public GrpcServerLimits(WorkerConfig config) {
        this.maxMessageBytes =
                (int) Math.min(Integer.MAX_VALUE, config.maxRequestSize().asLongValue());
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.maxInboundMessageSize(maxMessageBytes);
    }
}
