package dev.quartet.worker;

import io.quarkus.logging.Log;
import java.io.IOException;
import java.io.InputStream;
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

/** Turns the configured model URI into a verified local file: local paths as they are, http(s) downloaded once. */
public final class ModelSource {

    private final Path cacheDir;

    public ModelSource(Path cacheDir) {
        this.cacheDir = cacheDir;
    }

    /**
     * Returns the local model file for {@code uri}, checked against {@code sha256} when given.
     *
     * @throws ModelSourceException when the file is missing, cannot be fetched or has another digest
     */
    public Path resolve(String uri, Optional<String> sha256) {
        String scheme = uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") ? uri.substring(0, uri.indexOf(':'))
                .toLowerCase(Locale.ROOT) : "";
        Path file;
        if (scheme.equals("http") || scheme.equals("https")) {
            file = download(URI.create(uri), sha256);
        } else {
            file = scheme.equals("file") ? fileUri(URI.create(uri)) : Path.of(uri);
            if (!Files.isRegularFile(file)) {
                throw new ModelSourceException("model file " + file + " does not exist or is not a file");
            }
        }
        sha256.ifPresent(expected -> verify(file, expected));
        return file;
    }

    private static Path fileUri(URI uri) {
        return uri.isOpaque() ? Path.of(uri.getSchemeSpecificPart()) : Path.of(uri);
    }

    private Path download(URI uri, Optional<String> sha256) {
        String name = Path.of(uri.getPath()).getFileName().toString();
        String key = sha256.map(s -> s.toLowerCase(Locale.ROOT)).orElseGet(() -> digest(uri.toString().getBytes()));
        Path target = cacheDir.resolve(key.substring(0, 16) + "-" + name);
        if (Files.isRegularFile(target)) {
            Log.infof("Model %s already in cache %s", uri, target);
            return target;
        }
        try {
            Files.createDirectories(cacheDir);
            Path partial = Files.createTempFile(cacheDir, name, ".part");
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(30)).build();
            HttpResponse<Path> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofFile(partial));
            if (response.statusCode() != 200) {
                Files.deleteIfExists(partial);
                throw new ModelSourceException("fetching " + uri + " answered HTTP " + response.statusCode());
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Log.infof("Fetched model %s into %s (%d bytes)", uri, target, Files.size(target));
            return target;
        } catch (IOException e) {
            throw new ModelSourceException("cannot fetch " + uri + " into " + cacheDir + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelSourceException("interrupted while fetching " + uri, e);
        }
    }

    private static void verify(Path file, String expected) {
        String actual = sha256(file);
        if (!actual.equalsIgnoreCase(expected.trim())) {
            throw new ModelSourceException("sha256 mismatch for " + file + ": expected " + expected.trim()
                    + ", got " + actual + " (check QUARTET_MODEL_SHA256 and QUARTET_MODEL_URI)");
        }
        Log.infof("Model file %s matches sha256 %s", file, actual);
    }

    /** Hex sha256 of a file. */
    public static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new ModelSourceException("cannot read " + file + ": " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
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
