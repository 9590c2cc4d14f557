package dev.quartet.worker;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The {@code data} of a request tensor: JSON numbers or booleans, flat or nested (row-major), kept
 * in primitive arrays so a 150,000-element image costs no boxing, integers exact (INT64); or the
 * little-endian bytes of the binary tensor data extension, read in place. JSON values are kept in chunks of
 * {@value #CHUNK} elements (the first grows up to that size), so a large tensor is never copied to grow: a 64 MB
 * request of small integers holds its 32 million values once (256 MB), not twice while a doubled array is filled.
 */
@JsonDeserialize(using = TensorData.Reader.class)
public final class TensorData {

    static final int CHUNK = 1 << 14;
    private static final int CHUNK_BITS = 14;
    private static final int FIRST_CHUNK = 64;

    private long[][] ints = {new long[FIRST_CHUNK]};
    private double[][] floats;
    private boolean bool;
    private int size;
    private ByteBuffer raw;
    private Datatype rawType;

    /**
     * Binary tensor data: {@code bytes} holds little-endian values of {@code datatype}.
     *
     * @throws IllegalArgumentException when the byte count is not a whole number of elements
     */
    public static TensorData binary(Datatype datatype, ByteBuffer bytes) {
        int width = datatype.engineType().getNumOfBytes();
        if (bytes.remaining() % width != 0) {
            throw new IllegalArgumentException(
                    bytes.remaining() + " bytes are not a whole number of " + datatype + " values");
        }
        TensorData data = new TensorData();
        data.ints = null;
        data.raw = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        data.rawType = datatype;
        data.size = bytes.remaining() / width;
        data.bool = datatype == Datatype.BOOL;
        return data;
    }

    /** The little-endian bytes of binary data in {@code datatype}, or null when it is JSON or another type. */
    public ByteBuffer rawBytes(Datatype datatype) {
        return raw != null && rawType == datatype ? raw.duplicate().order(ByteOrder.LITTLE_ENDIAN) : null;
    }

    /** Number of elements. */
    public int size() {
        return size;
    }

    /** True when the values were JSON booleans. */
    public boolean isBoolean() {
        return bool;
    }

    /** True when at least one value had a fraction or exponent (or binary data is floating point). */
    public boolean isFloating() {
        return raw != null ? rawType.isFloating() : floats != null;
    }

    /** Element {@code i} as an integer (booleans are 0/1). */
    public long longAt(int i) {
        if (raw == null) {
            return floats != null
                    ? (long) floats[i >>> CHUNK_BITS][i & (CHUNK - 1)]
                    : ints[i >>> CHUNK_BITS][i & (CHUNK - 1)];
        }
        return switch (rawType) {
            case BOOL, INT8 -> raw.get(i);
            case UINT8 -> Byte.toUnsignedLong(raw.get(i));
            case INT16 -> raw.getShort(i * 2);
            case INT32 -> raw.getInt(i * 4);
            case INT64 -> raw.getLong(i * 8);
            default -> (long) doubleAt(i);
        };
    }

    /** Element {@code i} as a double. */
    public double doubleAt(int i) {
        if (raw == null) {
            return floats != null ? floats[i >>> CHUNK_BITS][i & (CHUNK - 1)] : ints[i >>> CHUNK_BITS][i & (CHUNK - 1)];
        }
        return switch (rawType) {
            case FP16 -> halfToFloat(raw.getShort(i * 2));
            case FP32 -> raw.getFloat(i * 4);
            case FP64 -> raw.getDouble(i * 8);
            default -> longAt(i);
        };
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** The first non-integer value, for error messages. */
    public double firstFloat() {
        for (int i = 0; i < size; i++) {
            if (doubleAt(i) != Math.rint(doubleAt(i))) {
                return doubleAt(i);
            }
        }
        return doubleAt(0);
    }

    void addLong(long v) {
        if (floats != null) {
            addDouble(v);
            return;
        }
        int chunk = size >>> CHUNK_BITS;
        if (chunk == 0 && size == ints[0].length) {
            ints[0] = Arrays.copyOf(ints[0], size * 2);
        } else if (chunk > 0 && (size & (CHUNK - 1)) == 0) {
            if (chunk == ints.length) {
                ints = Arrays.copyOf(ints, chunk * 2);
            }
            ints[chunk] = new long[CHUNK];
        }
        ints[chunk][size & (CHUNK - 1)] = v;
        size++;
    }

    void addDouble(double v) {
        if (floats == null) {
            // The integers read so far become doubles, a chunk at a time.
            floats = new double[ints.length][];
            for (int c = 0; c < ints.length && ints[c] != null; c++) {
                floats[c] = new double[ints[c].length];
                for (int i = 0; i < ints[c].length; i++) {
                    floats[c][i] = ints[c][i];
                }
                ints[c] = null;
            }
            ints = null;
        }
        int chunk = size >>> CHUNK_BITS;
        if (chunk == 0 && size == floats[0].length) {
            floats[0] = Arrays.copyOf(floats[0], size * 2);
        } else if (chunk > 0 && (size & (CHUNK - 1)) == 0) {
            if (chunk == floats.length) {
                floats = Arrays.copyOf(floats, chunk * 2);
            }
            floats[chunk] = new double[CHUNK];
        }
        floats[chunk][size & (CHUNK - 1)] = v;
        size++;
    }

    /** Streams a (possibly nested) JSON array of numbers or booleans into a {@link TensorData}. */
    public static final class Reader extends JsonDeserializer<TensorData> {
        @Override
        public TensorData deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            TensorData data = new TensorData();
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw InvalidFormatException.from(p, "tensor data must be a JSON array", p.getText(), TensorData.class);
            }
            read(p, data, 0);
            return data;
        }

        private static void read(JsonParser p, TensorData data, int depth) throws IOException {
            if (depth > 32) {
                throw InvalidFormatException.from(p, "tensor data nested too deeply", null, TensorData.class);
            }
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                switch (t) {
                    case START_ARRAY -> read(p, data, depth + 1);
                    case VALUE_NUMBER_INT -> {
                        requireNumbers(p, data);
                        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                            throw InvalidFormatException.from(
                                    p, "integer out of INT64 range: " + p.getText(), p.getText(), TensorData.class);
                        }
                        data.addLong(p.getLongValue());
                    }
                    case VALUE_NUMBER_FLOAT -> {
                        requireNumbers(p, data);
                        data.addDouble(p.getDoubleValue());
                    }
                    case VALUE_TRUE, VALUE_FALSE -> {
                        if (data.size > 0 && !data.bool) {
                            throw InvalidFormatException.from(
                                    p, "tensor data mixes numbers and booleans", p.getText(), TensorData.class);
                        }
                        data.bool = true;
                        data.addLong(t == JsonToken.VALUE_TRUE ? 1 : 0);
                    }
                    case VALUE_STRING ->
                        throw InvalidFormatException.from(
                                p, "string tensor data (BYTES) is not supported", p.getText(), TensorData.class);
                    default ->
                        throw InvalidFormatException.from(
                                p, "unexpected " + t + " in tensor data", p.getText(), TensorData.class);
                }
            }
        }

        private static void requireNumbers(JsonParser p, TensorData data) throws IOException {
            if (data.bool) {
                throw InvalidFormatException.from(
                        p, "tensor data mixes booleans and numbers", p.getText(), TensorData.class);
            }
        }
    }
}
