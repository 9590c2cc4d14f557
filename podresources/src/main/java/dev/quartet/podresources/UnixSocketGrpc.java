package dev.quartet.podresources;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * gRPC over a unix domain socket, as the kubelet serves its PodResources API: plaintext, Netty's epoll transport
 * (the JDK's own unix sockets have no gRPC transport). Each channel or server owns one small event loop, closed with
 * it.
 */
public final class UnixSocketGrpc {

    /** The kubelet's PodResources socket on Linux. */
    public static final Path KUBELET_POD_RESOURCES_SOCKET = Path.of("/var/lib/kubelet/pod-resources/kubelet.sock");

    /** The kubelet's limit on a PodResources message (pkg/kubelet/apis/podresources: 16 MiB); clients match it. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private UnixSocketGrpc() {}

    /** A client channel to the gRPC server on {@code socket}; it connects lazily, so the socket may appear later. */
    public static Client connect(Path socket) {
        requireEpoll();
        return connect(socket, new EpollEventLoopGroup(1), true);
    }

    /**
     * A client channel on {@code loop}, an epoll event loop group the caller owns and may share between channels (the
     * GPU node simulator runs one agent per simulated node).
     */
    public static Client connect(Path socket, EventLoopGroup loop) {
        requireEpoll();
        return connect(socket, loop, false);
    }

    private static Client connect(Path socket, EventLoopGroup loop, boolean ownsLoop) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .build();
        return new Client(channel, loop, ownsLoop);
    }

    /** Serves {@code service} on {@code socket}, replacing a socket file left by an earlier server, as the kubelet does. */
    public static Running serve(Path socket, BindableService service) {
        requireEpoll();
        return serve(socket, service, new EpollEventLoopGroup(1), new EpollEventLoopGroup(1), true);
    }

    /**
     * Serves {@code service} on {@code socket} with event loop groups the caller owns and may share between servers
     * (the GPU node simulator serves one socket per simulated node).
     */
    public static Running serve(Path socket, BindableService service, EventLoopGroup boss, EventLoopGroup workers) {
        requireEpoll();
        return serve(socket, service, boss, workers, false);
    }

    private static Running serve(
            Path socket, BindableService service, EventLoopGroup boss, EventLoopGroup workers, boolean ownsLoops) {
        try {
            Files.deleteIfExists(socket);
            Files.createDirectories(socket.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + socket, e);
        }
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .addService(service)
                .build();
        try {
            server.start();
        } catch (IOException e) {
            if (ownsLoops) {
                boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            }
            throw new UncheckedIOException("cannot serve gRPC on " + socket, e);
        }
        return new Running(server, socket, boss, workers, ownsLoops);
    }

    private static void requireEpoll() {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException(
                    "Netty's epoll transport is unavailable (unix sockets need Linux on x86_64 or aarch64)",
                    Epoll.unavailabilityCause());
        }
    }

    /** A client channel and its event loop, shut down with it when {@code ownsLoop}. */
    public record Client(ManagedChannel channel, EventLoopGroup loop, boolean ownsLoop) implements AutoCloseable {
        @Override
        public void close() {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (ownsLoop) {
                loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A started server, its socket and its event loops (shut down with it when {@code ownsLoops}); closing it stops
     * serving and removes the socket.
     */
    public record Running(Server server, Path socket, EventLoopGroup boss, EventLoopGroup workers, boolean ownsLoops)
            implements AutoCloseable {
        @Override
        public void close() {
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (ownsLoops) {
                boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                // the directory went away with its owner: nothing left to remove
            }
        }
    }
}
