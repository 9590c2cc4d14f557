package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FP16 inputs of ONNX models (halved on the host), and INT16 refused with a clear message. */
class HalfPrecisionTest {

    private static Path model(String name) throws Exception {
        return Path.of(HalfPrecisionTest.class.getResource("/models/" + name).toURI());
    }

    @Test
    void everyHalfValueSurvivesTheTripThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = TensorData.halfToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(TensorData.halfToFloat(BatchExecutor.floatToHalf(f))));
                continue;
            }
            assertEquals((short) bits, BatchExecutor.floatToHalf(f), "half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void floatsRoundToTheNearestHalfTiesToEven() {
        assertEquals((short) 0x3c00, BatchExecutor.floatToHalf(1.0f + 0x1p-11f)); // tie: down to even
        assertEquals((short) 0x3c02, BatchExecutor.floatToHalf(1.0f + 3 * 0x1p-11f)); // tie: up to even
        assertEquals((short) 0x7c00, BatchExecutor.floatToHalf(70000f)); // beyond 65504: infinity
        assertEquals((short) 0x0001, BatchExecutor.floatToHalf(0x1p-24f)); // smallest subnormal
        assertEquals((short) 0x0000, BatchExecutor.floatToHalf(0x1p-26f));
    }

    @Test
    void anOnnxModelWithAnFp16InputServesRequests() throws Exception {
        try (LoadedModel model =
                LoadedModel.load(model("identity-fp16.onnx"), ModelFormat.ONNX, new ObjectMapper(), 1)) {
            ByteBuffer x = ByteBuffer.allocate(8)
                    .order(ByteOrder.nativeOrder())
                    .putFloat(1.5f)
                    .putFloat(-2.25f)
                    .flip();
            ValidatedRequest request = new ValidatedRequest("a", 1, List.of(x), List.of(List.of(1L, 2L)), null);

            List<Oip.OutputTensor> out = new BatchExecutor(model, (rows, nanos) -> {})
                    .run(List.of(request))
                    .get(0);

            assertEquals("FP16", out.get(0).datatype());
            assertArrayEquals(new float[] {1.5f, -2.25f}, (float[]) out.get(0).data());
        }
    }

    @Test
    void anOnnxModelWithInt16TensorsIsRefusedWithTheReason() throws Exception {
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> SignatureReader.onnx(model("identity-int16.onnx")));
        assertTrue(e.getMessage().contains("INT16"), e.getMessage());
    }
}
