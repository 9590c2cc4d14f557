package dev.quartet.worker;

import io.quarkus.logging.Log;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The container's termination message: why the worker stopped, in the file the kubelet mounts at the pod's
 * terminationMessagePath and copies into the pod's status ({@code lastState.terminated.message}) when the container
 * ends, where {@code kubectl describe pod} and Quartet's status show it. Written only when that file exists, so a
 * worker run outside Kubernetes writes nothing.
 */
final class TerminationMessage {

    /** The kubelet keeps at most 4096 bytes of it. */
    static final int MAX_BYTES = 4096;

    private TerminationMessage() {}

    /** Writes {@code message} (cut to {@link #MAX_BYTES}) to {@code path} if the file exists; true when written. */
    static boolean write(Path path, String message) {
        if (!Files.isRegularFile(path)) {
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, MAX_BYTES);
        // Never cut a character in two.
        while (length < bytes.length && length > 0 && (bytes[length] & 0xC0) == 0x80) {
            length--;
        }
        try {
            Files.write(
                    path,
                    java.util.Arrays.copyOf(bytes, length),
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            return true;
        } catch (IOException e) {
            Log.warnf("Cannot write the termination message to %s: %s", path, e.getMessage());
            return false;
        }
    }
}
