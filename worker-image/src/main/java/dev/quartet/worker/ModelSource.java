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
        if (scheme.equals("http") || scheme.equals("https")) {
            return download(URI.create(uri), sha256);
        }
        Path file = scheme.equals("file") ? fileUri(URI.create(uri)) : Path.of(uri);
        if (!Files.isRegularFile(file)) {
            throw new ModelSourceException("model file " + file + " does not exist or is not a file");
        }
        sha256.ifPresent(expected -> verify(file, expected));
        return file;
    }

    private static Path fileUri(URI uri) {
        return uri.isOpaque() ? Path.of(uri.getSchemeSpecificPart()) : Path.of(uri);
    }

    /**
     * The cached copy of an http(s) model, fetched when missing. With a sha256 the cache holds only matching files:
     * a download is hashed as it arrives and moved into the cache only if it matches, and a cached file that does
     * not match (changed or damaged since) is deleted and fetched again, once.
     */
    private Path download(URI uri, Optional<String> sha256) {
        String name = Path.of(uri.getPath()).getFileName().toString();
        String key = sha256.map(s -> s.toLowerCase(Locale.ROOT)).orElseGet(
                () -> HexFormat.of().formatHex(newDigest().digest(uri.toString().getBytes())));
        Path target = cacheDir.resolve(key.substring(0, 16) + "-" + name);
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
            Log.warnf("Cached model %s has sha256 %s, not %s; fetching %s again", target, actual, sha256.get().trim(),
                    uri);
            try {
                Files.delete(target);
            } catch (IOException e) {
                throw new ModelSourceException("cannot delete " + target + ": " + e, e);
            }
        }
        fetch(uri, target, sha256);
        return target;
    }

    private void fetch(URI uri, Path target, Optional<String> sha256) {
        Path partial = null;
        try {
            Files.createDirectories(cacheDir);
            partial = Files.createTempFile(cacheDir, target.getFileName().toString(), ".part");
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(30)).build();
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofMinutes(5)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest digest = newDigest();
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new ModelSourceException("fetching " + uri + " answered HTTP " + response.statusCode());
                }
                Files.copy(new DigestInputStream(body, digest), partial, StandardCopyOption.REPLACE_EXISTING);
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
