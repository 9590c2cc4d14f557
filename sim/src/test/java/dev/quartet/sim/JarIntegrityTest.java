package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone simulator's check of its own jar, against the jar a copy taken mid-rebuild yields. */
class JarIntegrityTest {

    @TempDir
    Path tmp;

    @Test
    void aWholeJarHasNoDamage() throws IOException {
        Path jar = jar("whole.jar", entries("one", 2000), true);
        assertThat(JarIntegrity.damage(jar)).isEmpty();
    }

    @Test
    void aJarRewrittenInPlaceHalfwayIsDamagedAlthoughItStillOpens() throws IOException {
        // what the shade plugin leaves while it rewrites the jar: the new build's bytes at the front, the old build's
        // rest (and central directory) behind them
        byte[] old = Files.readAllBytes(jar("old.jar", entries("one", 2000), true));
        byte[] rebuilt = Files.readAllBytes(jar("new.jar", entries("one-changed", 2000), true));
        byte[] mixed = old.clone();
        System.arraycopy(rebuilt, 0, mixed, 0, old.length / 2);
        Path jar = Files.write(tmp.resolve("mixed.jar"), mixed);

        assertThat(JarIntegrity.damage(jar)).isPresent();
    }

    @Test
    void anEntryWhoseBytesChangedInPlaceFailsItsCrc() throws IOException {
        // same layout (stored entries of equal size), other content: only the CRC tells
        byte[] old = Files.readAllBytes(jar("old.jar", entries("aaaa", 50), false));
        byte[] rebuilt = Files.readAllBytes(jar("new.jar", entries("bbbb", 50), false));
        byte[] mixed = old.clone();
        System.arraycopy(rebuilt, 0, mixed, 0, 400);
        Path jar = Files.write(tmp.resolve("mixed.jar"), mixed);

        assertThat(JarIntegrity.damage(jar))
                .hasValueSatisfying(d -> assertThat(d).contains("CRC"));
    }

    @Test
    void aTruncatedJarIsDamaged() throws IOException {
        byte[] whole = Files.readAllBytes(jar("whole.jar", entries("one", 2000), true));
        Path jar = Files.write(tmp.resolve("cut.jar"), java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThat(JarIntegrity.damage(jar)).isPresent();
    }

    private static Map<String, byte[]> entries(String word, int repeat) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            entries.put(
                    "dev/quartet/sim/C" + i + ".class",
                    (word + i + " ").repeat(repeat).getBytes(StandardCharsets.UTF_8));
        }
        return entries;
    }

    private Path jar(String name, Map<String, byte[]> entries, boolean deflate) throws IOException {
        Path jar = tmp.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTime(0);
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return jar;
    }
}
