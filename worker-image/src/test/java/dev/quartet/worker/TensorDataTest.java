package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Tensor data from JSON (flat or nested, exact integers) and from binary bytes, FP16 included. */
class TensorDataTest {

    final ObjectMapper mapper = new ObjectMapper();

    @Test
    void nestedJsonIsFlattenedRowMajorAndIntegersStayExact() throws Exception {
        TensorData data = mapper.readValue("[[1, 2], [3, 9007199254740993]]", TensorData.class);
        assertEquals(4, data.size());
        assertEquals(3, data.longAt(2));
        assertEquals(9007199254740993L, data.longAt(3));
        TensorData mixed = mapper.readValue("[1, 2.5]", TensorData.class);
        assertEquals(1.0, mixed.doubleAt(0));
        assertEquals(2.5, mixed.doubleAt(1));
        assertThrows(Exception.class, () -> mapper.readValue("[\"a\"]", TensorData.class));
        assertThrows(Exception.class, () -> mapper.readValue("[true, 1]", TensorData.class));
        assertThrows(Exception.class, () -> mapper.readValue("[99999999999999999999]", TensorData.class));
    }

    @Test
    void valuesPastSeveralChunksKeepTheirOrderAndAFloatLateOnTurnsAllIntoDoubles() {
        int n = 3 * TensorData.CHUNK + 5;
        TensorData ints = new TensorData();
        for (int i = 0; i < n; i++) {
            ints.addLong(i * 3L);
        }
        assertEquals(n, ints.size());
        for (int i : new int[] {0, 63, 64, TensorData.CHUNK - 1, TensorData.CHUNK, 2 * TensorData.CHUNK + 1, n - 1}) {
            assertEquals(i * 3L, ints.longAt(i));
        }
        ints.addDouble(0.5);
        assertEquals(n + 1, ints.size());
        assertEquals(3.0 * (TensorData.CHUNK + 7), ints.doubleAt(TensorData.CHUNK + 7));
        assertEquals(0.5, ints.doubleAt(n));
        ints.addLong(7);
        assertEquals(7.0, ints.doubleAt(n + 1));
    }

    @Test
    void halfPrecisionBinaryDecodes() {
        ByteBuffer halfs = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits : new int[] {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3555}) {
            halfs.putShort((short) bits);
        }
        TensorData data = TensorData.binary(Datatype.FP16, halfs.flip());
        assertEquals(6, data.size());
        assertEquals(1.0, data.doubleAt(0));
        assertEquals(-2.0, data.doubleAt(1));
        assertEquals(65504.0, data.doubleAt(2));
        assertEquals(Math.pow(2, -24), data.doubleAt(3), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, data.doubleAt(4));
        assertEquals(0.333251953125, data.doubleAt(5), 1e-12);
    }

    @Test
    void binaryFp32IsCopiedAsIsAndFp16WidenedForAnFp32Model() {
        ByteBuffer floats = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f)
                .putFloat(-3f)
                .flip();
        ByteBuffer out = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        Datatype.FP32.write(TensorData.binary(Datatype.FP32, floats), out);
        assertEquals(1.5f, out.flip().getFloat());
        assertEquals(-3f, out.getFloat());
        ByteBuffer halfs = ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3C00)
                .putShort((short) 0xC000)
                .flip();
        ByteBuffer widened = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        Datatype.FP32.write(TensorData.binary(Datatype.FP16, halfs), widened);
        assertEquals(1f, widened.flip().getFloat());
        assertEquals(-2f, widened.getFloat());
        assertThrows(IllegalArgumentException.class, () -> TensorData.binary(Datatype.INT32, ByteBuffer.allocate(6)));
    }
}
