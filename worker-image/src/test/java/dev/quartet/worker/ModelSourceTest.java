package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local paths, file URIs and http downloads, each checked against an optional sha256. */
class ModelSourceTest {

    static final Path MODEL = Path.of("models/mixed-types.onnx");

    @TempDir
    Path cache;

    HttpServer server;
    final AtomicInteger downloads = new AtomicInteger();

    @BeforeEach
    void serve() throws Exception {
        byte[] bytes = Files.readAllBytes(MODEL);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/m/mixed-types.onnx", exchange -> {
            downloads.incrementAndGet();
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        // Answers something else the first time (a proxy's error page, say), the model after.
        server.createContext("/flaky/mixed-types.onnx", exchange -> {
            byte[] body = downloads.incrementAndGet() == 1 ? "<html>bad gateway</html>".getBytes() : bytes;
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        // Announces the whole model, sends 1000 bytes of it, and drops the connection.
        server.createContext("/cut/mixed-types.onnx", exchange -> {
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes, 0, 1000);
            exchange.close(); // short of the announced length: the server closes the connection
        });
        server.createContext("/missing.onnx", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Test
    void localPathsAndFileUris() {
        ModelSource source = new ModelSource(cache);
        assertEquals(MODEL, source.resolve("models/mixed-types.onnx", Optional.empty()));
        assertEquals(MODEL, source.resolve("file:models/mixed-types.onnx", Optional.empty()));
        Path absolute = MODEL.toAbsolutePath();
        assertEquals(absolute, source.resolve(absolute.toUri().toString(), Optional.of(ModelSource.sha256(MODEL))));
        ModelSource.ModelSourceException missing = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> source.resolve("file:///models/nope.onnx", Optional.empty()));
        assertTrue(missing.getMessage().contains("/models/nope.onnx does not exist"));
        ModelSource.ModelSourceException unquoted = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> source.resolve("file:///models/my model.onnx", Optional.empty()));
        assertTrue(unquoted.getMessage().contains("is not a valid URI"), unquoted.getMessage());
        ModelSource.ModelSourceException quoted = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> source.resolve("file:///models/a%20b.onnx", Optional.empty()));
        assertTrue(quoted.getMessage().contains("/models/a b.onnx does not exist"), quoted.getMessage());
    }

    @Test
    void httpModelsAreFetchedOnceIntoTheCacheAndVerified() throws Exception {
        ModelSource source = new ModelSource(cache);
        String sha = ModelSource.sha256(MODEL);
        Path fetched = source.resolve(url("/m/mixed-types.onnx"), Optional.of(sha.toUpperCase()));
        assertTrue(fetched.startsWith(cache));
        assertArrayEquals(Files.readAllBytes(MODEL), Files.readAllBytes(fetched));
        assertEquals(fetched, source.resolve(url("/m/mixed-types.onnx"), Optional.of(sha)));
        assertEquals(1, downloads.get(), "the second start uses the cache");
    }

    @Test
    void aDigestMismatchRefusesTheModel() {
        ModelSource source = new ModelSource(cache);
        String wrong = "0".repeat(64);
        ModelSource.ModelSourceException local = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> source.resolve("models/mixed-types.onnx", Optional.of(wrong)));
        assertTrue(local.getMessage().contains("sha256 mismatch"), local.getMessage());
        ModelSource.ModelSourceException remote = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> source.resolve(url("/m/mixed-types.onnx"), Optional.of(wrong)));
        assertTrue(remote.getMessage().contains("expected " + wrong), remote.getMessage());
    }

    @Test
    void aDownloadThatDoesNotMatchIsNotCachedAndTheNextStartFetchesAgain() throws Exception {
        ModelSource source = new ModelSource(cache);
        String sha = ModelSource.sha256(MODEL);
        ModelSource.ModelSourceException bad = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> source.resolve(url("/flaky/mixed-types.onnx"), Optional.of(sha)));
        assertTrue(bad.getMessage().contains("sha256 mismatch"), bad.getMessage());
        assertEquals(List.of(), cached(), "nothing was cached");
        Path fetched = source.resolve(url("/flaky/mixed-types.onnx"), Optional.of(sha));
        assertArrayEquals(Files.readAllBytes(MODEL), Files.readAllBytes(fetched));
        assertEquals(2, downloads.get());
    }

    @Test
    void aCachedFileThatDoesNotMatchIsFetchedAgain() throws Exception {
        ModelSource source = new ModelSource(cache);
        String sha = ModelSource.sha256(MODEL);
        Path damaged = cache.resolve(sha.substring(0, 16) + "-mixed-types.onnx");
        Files.writeString(damaged, "<html>bad gateway</html>");
        assertEquals(damaged, source.resolve(url("/m/mixed-types.onnx"), Optional.of(sha)));
        assertArrayEquals(Files.readAllBytes(MODEL), Files.readAllBytes(damaged));
        assertEquals(1, downloads.get());
    }

    @Test
    void aDownloadCutShortLeavesNothingInTheCache() throws Exception {
        ModelSource.ModelSourceException e = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> new ModelSource(cache).resolve(url("/cut/mixed-types.onnx"), Optional.empty()));
        assertTrue(e.getMessage().contains("cannot fetch"), e.getMessage());
        assertEquals(List.of(), cached(), "no partial download is left");
    }

    List<Path> cached() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.toList();
        }
    }

    @Test
    void aDownloadThatStallsFailsInsteadOfHangingAndLeavesNothing() throws Exception {
        // The headers and 1000 bytes arrive, then nothing: the request timeout does not cover the body.
        HttpServer stalling = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        CountDownLatch release = new CountDownLatch(1);
        stalling.createContext("/stall/model.onnx", exchange -> {
            exchange.sendResponseHeaders(200, 100_000);
            exchange.getResponseBody().write(new byte[1000]);
            exchange.getResponseBody().flush();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        stalling.setExecutor(Executors.newCachedThreadPool());
        stalling.start();
        try {
            String url = "http://127.0.0.1:" + stalling.getAddress().getPort() + "/stall/model.onnx";
            ModelSource.ModelSourceException e = assertTimeoutPreemptively(
                    Duration.ofSeconds(30),
                    () -> assertThrows(
                            ModelSource.ModelSourceException.class,
                            () -> new ModelSource(cache, Duration.ofSeconds(1)).resolve(url, Optional.empty())));
            assertTrue(e.getMessage().contains("stalled: no data for 1 s"), e.getMessage());
            assertEquals(List.of(), cached(), "no partial download is left");
            assertTrue(!Thread.currentThread().isInterrupted(), "the watchdog's interrupt does not leak");
        } finally {
            release.countDown();
            stalling.stop(0);
        }
    }

    @Test
    void aUrlWithoutAFileNameIsCachedUnderAPlainNameAndABadCopyCanBeForgotten() throws Exception {
        server.createContext("/", exchange -> {
            byte[] page = "<html>an index page</html>".getBytes();
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(page);
            }
        });
        ModelSource source = new ModelSource(cache);
        Path fetched = source.resolve(url("/"), Optional.empty());
        assertTrue(fetched.getFileName().toString().endsWith("-model"), fetched.toString());

        source.forget(url("/"), Optional.empty());

        assertEquals(List.of(), cached(), "the next start fetches it again");
        source.forget("models/mixed-types.onnx", Optional.empty());
        assertTrue(Files.isRegularFile(MODEL), "a local model is never deleted");
    }

    @Test
    void aFailedDownloadSaysWhy() {
        ModelSource.ModelSourceException e = assertThrows(
                ModelSource.ModelSourceException.class,
                () -> new ModelSource(cache).resolve(url("/missing.onnx"), Optional.empty()));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }
}
