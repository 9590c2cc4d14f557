package dev.quartet.worker;

import io.quarkus.logging.Log;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Turns the configured model URI into a verified local file: local paths as they are, http(s) downloaded once. */
public final class ModelSource {

    /**
     * A download that receives no byte for this long fails (the request timeout covers only the wait for the
     * response headers; a server or proxy that stalls mid-body would otherwise hold the worker for ever).
     */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final Path cacheDir;
    private final Duration idleTimeout;

    public ModelSource(Path cacheDir) {
        this(cacheDir, IDLE_TIMEOUT);
    }

    ModelSource(Path cacheDir, Duration idleTimeout) {
        this.cacheDir = cacheDir;
        this.idleTimeout = idleTimeout;
    }

    /**
     * Returns the local model file for {@code uri}, checked against {@code sha256} when given.
     *
     * @throws ModelSourceException when the file is missing, cannot be fetched or has another digest
     */
    public Path resolve(String uri, Optional<String> sha256) {
        String scheme = scheme(uri);
        if (isHttp(scheme)) {
            return download(parse(uri), sha256);
        }
        Path file = scheme.equals("file") ? fileUri(parse(uri)) : Path.of(uri);
        if (!Files.isRegularFile(file)) {
            throw new ModelSourceException("model file " + file + " does not exist or is not a file");
        }
        sha256.ifPresent(expected -> verify(file, expected));
        return file;
    }

    /** The URI's scheme in lower case, or empty for a plain path. */
    private static String scheme(String uri) {
        return uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*")
                ? uri.substring(0, uri.indexOf(':')).toLowerCase(Locale.ROOT)
                : "";
    }

    private static boolean isHttp(String scheme) {
        return scheme.equals("http") || scheme.equals("https");
    }

    private static URI parse(String uri) {
        try {
            return URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new ModelSourceException("QUARTET_MODEL_URI '" + uri + "' is not a valid URI (" + e.getMessage()
                    + "); quote spaces and other special characters, e.g. %20");
        }
    }

    private static Path fileUri(URI uri) {
        try {
            return uri.isOpaque() ? Path.of(uri.getSchemeSpecificPart()) : Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw new ModelSourceException(
                    "QUARTET_MODEL_URI '" + uri + "' is not a local file URI: " + e.getMessage());
        }
    }

    /**
     * The cached copy of an http(s) model, fetched when missing. With a sha256 the cache holds only matching files:
     * a download is hashed as it arrives and moved into the cache only if it matches, and a cached file that does
     * not match (changed or damaged since) is deleted and fetched again, once.
     */
    private Path download(URI uri, Optional<String> sha256) {
        Path target = cached(uri, sha256);
        if (Files.isRegularFile(target)) {
            if (sha256.isEmpty()) {
                Log.infof("Model %s already in cache %s", uri, target);
                return target;
            }
            String actual = sha256(target);
            if (matches(actual, sha256.get())) {
                Log.infof("Model %s already in cache %s, matches sha256 %s", uri, target, actual);
                return target;
            }
            Log.warnf(
                    "Cached model %s has sha256 %s, not %s; fetching %s again",
                    target, actual, sha256.get().trim(), uri);
            try {
                Files.delete(target);
            } catch (IOException e) {
                throw new ModelSourceException("cannot delete " + target + ": " + e, e);
            }
        }
        fetch(uri, target, sha256);
        return target;
    }

    /** Where the cached copy of an http(s) model is kept. */
    private Path cached(URI uri, Optional<String> sha256) {
        Path file = uri.getPath() == null || uri.getPath().isEmpty()
                ? null
                : Path.of(uri.getPath()).getFileName();
        String name = file == null ? "model" : file.toString();
        String key = sha256.map(s -> s.toLowerCase(Locale.ROOT))
                .orElseGet(() -> HexFormat.of()
                        .formatHex(newDigest().digest(uri.toString().getBytes())));
        return cacheDir.resolve(key.substring(0, 16) + "-" + name);
    }

    /**
     * Deletes the cached copy of an http(s) model that could not be loaded: without a sha256 the cache took
     * whatever the server answered with HTTP 200 (a proxy's page, say), and every restart would load it again.
     */
    public void forget(String uri, Optional<String> sha256) {
        if (!isHttp(scheme(uri))) {
            return;
        }
        Path target = cached(parse(uri), sha256);
        try {
            if (Files.deleteIfExists(target)) {
                Log.warnf(
                        "Deleted the cached copy %s of %s, which could not be loaded; the next start fetches it "
                                + "again",
                        target, uri);
            }
        } catch (IOException e) {
            Log.warnf("Cannot delete the cached copy %s of %s: %s", target, uri, e);
        }
    }

    private void fetch(URI uri, Path target, Optional<String> sha256) {
        Path partial = null;
        try {
            Files.createDirectories(cacheDir);
            partial = Files.createTempFile(cacheDir, target.getFileName().toString(), ".part");
            HttpClient client = HttpClient.newBuilder()
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(30))
                    .build();
            HttpResponse<InputStream> response = client.send(
                    HttpRequest.newBuilder(uri)
                            .timeout(Duration.ofMinutes(5))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest digest = newDigest();
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new ModelSourceException("fetching " + uri + " answered HTTP " + response.statusCode());
                }
                copyWatched(uri, body, new DigestInputStream(body, digest), partial);
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (sha256.isPresent() && !matches(actual, sha256.get())) {
                throw mismatch(uri, sha256.get(), actual);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Log.infof("Fetched model %s into %s (%d bytes, sha256 %s)", uri, target, Files.size(target), actual);
        } catch (IOException e) {
            throw new ModelSourceException("cannot fetch " + uri + " into " + cacheDir + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelSourceException("interrupted while fetching " + uri, e);
        } finally {
            deletePartial(partial);
        }
    }

    /**
     * Copies a response body to {@code to}, failing when no byte arrives for {@link #idleTimeout}: a watchdog
     * interrupts the reading thread and closes the body, which ends a read blocked on a stalled connection. The
     * copy and the watchdog race for one outcome (finished or stalled), so a download that completes while a check
     * runs is never reported as stalled, and the watchdog's interrupt never reaches the caller.
     */
    private void copyWatched(URI uri, InputStream body, InputStream in, Path to) throws IOException {
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        AtomicInteger outcome = new AtomicInteger(COPYING);
        CountDownLatch interruptSent = new CountDownLatch(1);
        Thread reader = Thread.currentThread();
        long idle = idleTimeout.toNanos();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "model-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(Duration.ofMillis(50).toNanos(), idle / 4);
        watchdog.scheduleAtFixedRate(
                () -> {
                    if (System.nanoTime() - lastByte.get() > idle && outcome.compareAndSet(COPYING, STALLED)) {
                        reader.interrupt();
                        interruptSent.countDown();
                        try {
                            body.close();
                        } catch (IOException | RuntimeException e) {
                            Log.debugf("closing the stalled download of %s: %s", uri, e);
                        }
                    }
                },
                period,
                period,
                TimeUnit.NANOSECONDS);
        IOException cut = null;
        try (OutputStream out = Files.newOutputStream(to)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                lastByte.set(System.nanoTime());
            }
        } catch (IOException e) {
            if (outcome.get() != STALLED) {
                throw e;
            }
            cut = e;
        } finally {
            boolean finished = outcome.compareAndSet(COPYING, FINISHED);
            watchdog.shutdownNow();
            if (!finished) {
                awaitUninterruptibly(interruptSent);
                Thread.interrupted(); // the watchdog's interrupt is not the caller's
            }
        }
        // A closed body may also read as a (short) end of stream rather than an IOException.
        if (outcome.get() == STALLED) {
            throw new ModelSourceException(
                    "fetching " + uri + " stalled: no data for " + idleTimeout.toSeconds() + " s", cut);
        }
    }

    private static final int COPYING = 0;
    private static final int FINISHED = 1;
    private static final int STALLED = 2;

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // the interrupt we wait for may be this one; it is cleared by the caller
            }
        }
    }

    /** Removes what is left of a download that did not make it into the cache. */
    private static void deletePartial(Path partial) {
        if (partial == null) {
            return;
        }
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            Log.warnf("Cannot delete the partial download %s: %s", partial, e);
        }
    }

    private static void verify(Path file, String expected) {
        String actual = sha256(file);
        if (!matches(actual, expected)) {
            throw mismatch(file, expected, actual);
        }
        Log.infof("Model file %s matches sha256 %s", file, actual);
    }

    /** Whether a computed hex sha256 is the one configured (QUARTET_MODEL_SHA256, any case, spaces around). */
    private static boolean matches(String actual, String expected) {
        return actual.equalsIgnoreCase(expected.trim());
    }

    private static ModelSourceException mismatch(Object source, String expected, String actual) {
        return new ModelSourceException("sha256 mismatch for " + source + ": expected " + expected.trim() + ", got "
                + actual + " (check QUARTET_MODEL_SHA256 and QUARTET_MODEL_URI)");
    }

    /** Hex sha256 of a file. */
    public static String sha256(Path file) {
        MessageDigest digest = newDigest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new ModelSourceException("cannot read " + file + ": " + e, e);
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model cannot be obtained or failed verification: the worker must not start. */
    public static final class ModelSourceException extends RuntimeException {
        public ModelSourceException(String message) {
            super(message);
        }

        public ModelSourceException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
