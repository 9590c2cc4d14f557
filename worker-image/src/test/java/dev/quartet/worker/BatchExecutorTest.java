package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cutting outputs back into requests: which outputs count as one entry per row. */
class BatchExecutorTest {

    @TempDir
    Path dir;

    @Test
    void anOutputDeclaredWithAFixedFirstDimensionIsNotCutBetweenRequests() throws Exception {
        // The tiny ResNet's logits are [rows, 10]; its quartet.json is edited to declare them [2, 10].
        try (LoadedModel model = LoadedModel.load(
                tinyResNetDeclaringLogits("[2, 10]"), ModelFormat.TORCHSCRIPT, new ObjectMapper(), 1)) {
            BatchExecutor executor = new BatchExecutor(model, (rows, nanos) -> {});
            IllegalStateException e = assertThrows(
                    IllegalStateException.class, () -> executor.run(List.of(images("a", 1), images("b", 1))));
            assertTrue(e.getMessage().contains("cannot be split between requests"), e.getMessage());
            // Three rows: the logits follow the batch, so the declared 2 is not what they are.
            List<List<Oip.OutputTensor>> answers = executor.run(List.of(images("a", 1), images("b", 2)));
            assertEquals(List.of(1L, 10L), answers.get(0).get(0).shape());
            assertEquals(List.of(2L, 10L), answers.get(1).get(0).shape());
        }
    }

    /** {@code rows} zero images for the tiny ResNet. */
    static ValidatedRequest images(String id, int rows) {
        ByteBuffer zeros = ByteBuffer.allocate(rows * 3 * 32 * 32 * 4).order(ByteOrder.nativeOrder());
        return new ValidatedRequest(id, rows, List.of(zeros), List.of(List.of((long) rows, 3L, 32L, 32L)), null);
    }

    /** A copy of tiny-resnet.pt whose quartet.json declares the logits with {@code shape}. */
    Path tinyResNetDeclaringLogits(String shape) throws IOException {
        Path copy = dir.resolve("tiny-resnet.pt");
        try (ZipFile original = new ZipFile("models/tiny-resnet.pt");
                OutputStream file = Files.newOutputStream(copy);
                ZipOutputStream out = new ZipOutputStream(file)) {
            for (ZipEntry entry : Collections.list(original.entries())) {
                byte[] bytes = original.getInputStream(entry).readAllBytes();
                if (entry.getName().endsWith("/extra/" + SignatureReader.TORCHSCRIPT_METADATA)) {
                    String json = new String(bytes, StandardCharsets.UTF_8);
                    String edited = json.replace("\"shape\": [-1, 10]", "\"shape\": " + shape);
                    assertNotEquals(json, edited, "the logits' shape is in " + json);
                    bytes = edited.getBytes(StandardCharsets.UTF_8);
                }
                ZipEntry stored = new ZipEntry(entry.getName());
                stored.setMethod(ZipEntry.STORED);
                stored.setSize(bytes.length);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                stored.setCrc(crc.getValue());
                out.putNextEntry(stored);
                out.write(bytes);
                out.closeEntry();
            }
        }
        return copy;
    }
}
