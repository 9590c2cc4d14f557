package dev.quartet.sim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Checks that a jar is whole: every entry its central directory lists can be read and has the recorded CRC.
 *
 * <p>A jar that mixes two builds opens without complaint as long as it ends with a central directory: the shade plugin
 * rewrites an existing output file in place, front to back, so that is what a JVM running it, or a copy taken
 * meanwhile, used to get. The classes loaded at start may be intact while others are not; the first one loaded later
 * fails with {@link NoClassDefFoundError} (the first pod admission needs {@code SimulatedNode$Admitted}), long after
 * the simulator registered its nodes. The build now publishes the jar by renaming it (see {@code sim/pom.xml}), but two
 * builds writing {@code sim/target} at once can still produce such a jar, so the standalone simulator checks its jar
 * before it starts.
 */
final class JarIntegrity {

    private JarIntegrity() {}

    /** The first damaged entry of the jar and what is wrong with it, or empty if the jar is whole. */
    static Optional<String> damage(Path jar) {
        byte[] buffer = new byte[64 * 1024];
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory()) {
                    continue;
                }
                CRC32 crc = new CRC32();
                try (InputStream in = zip.getInputStream(entry)) {
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        crc.update(buffer, 0, n);
                    }
                } catch (IOException e) {
                    return Optional.of(entry.getName() + ": " + e.getMessage());
                }
                if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) {
                    return Optional.of(entry.getName() + ": CRC mismatch");
                }
            }
        } catch (IOException e) {
            return Optional.of("cannot read it as a zip file: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** The jar this class was loaded from, if it was loaded from a jar (not from a classes directory). */
    static Optional<Path> ownJar() {
        try {
            var source = JarIntegrity.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path path = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
