package dev.quartet.worker;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The Open Inference Protocol tensor datatypes the worker serves, and how each one travels between
 * JSON numbers and the engine's native buffers. FP16 travels as FP32 (JSON has no half floats) and
 * is converted by the engine.
 */
public enum Datatype {
    BOOL(DataType.BOOLEAN, DataType.BOOLEAN),
    UINT8(DataType.UINT8, DataType.UINT8),
    INT8(DataType.INT8, DataType.INT8),
    INT16(DataType.INT16, DataType.INT16),
    INT32(DataType.INT32, DataType.INT32),
    INT64(DataType.INT64, DataType.INT64),
    FP16(DataType.FLOAT16, DataType.FLOAT32),
    FP32(DataType.FLOAT32, DataType.FLOAT32),
    FP64(DataType.FLOAT64, DataType.FLOAT64);

    private final DataType engineType;
    private final DataType carrier;

    Datatype(DataType engineType, DataType carrier) {
        this.engineType = engineType;
        this.carrier = carrier;
    }

    /** The engine's type of a tensor with this datatype. */
    public DataType engineType() {
        return engineType;
    }

    /** The type in which values are exchanged with the engine (FP16 goes as FP32). */
    public DataType carrier() {
        return carrier;
    }

    /** Bytes per element in the carrier type. */
    public int carrierBytes() {
        return carrier.getNumOfBytes();
    }

    /** True for FP16/FP32/FP64. */
    public boolean isFloating() {
        return this == FP16 || this == FP32 || this == FP64;
    }

    /** The OIP datatype of an engine type, if the worker serves it. */
    public static Optional<Datatype> of(DataType engineType) {
        for (Datatype d : values()) {
            if (d.engineType == engineType) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Parses an OIP datatype name; empty when unknown or unsupported (BYTES). */
    public static Optional<Datatype> parse(String name) {
        for (Datatype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Whether a request tensor of datatype {@code requested} may feed a model input of this datatype. */
    public boolean accepts(Datatype requested) {
        return requested == this || (isFloating() && requested.isFloating());
    }

    /**
     * Writes JSON values into {@code out} in the carrier type.
     *
     * @throws IllegalArgumentException naming the first value this datatype cannot hold
     */
    public void write(TensorData data, ByteBuffer out) {
        int n = data.size();
        ByteBuffer raw = data.rawBytes(this);
        // Engines disagree on other bytes (TorchScript and ONNX Runtime answered differently for 2 and 0xFE).
        if (raw != null && this == BOOL) {
            for (int i = 0; i < n; i++) {
                if (raw.get(i) != 0 && raw.get(i) != 1) {
                    throw new IllegalArgumentException("BOOL byte " + Byte.toUnsignedInt(raw.get(i)) + " at index " + i
                            + " is not 0 (false) or 1 (true)");
                }
            }
        }
        if (raw != null && carrier == engineType && out.order() == ByteOrder.LITTLE_ENDIAN) {
            out.put(raw);
            return;
        }
        if (this == BOOL) {
            if (!data.isBoolean() && n > 0) {
                throw new IllegalArgumentException("BOOL data must be JSON true/false");
            }
            for (int i = 0; i < n; i++) {
                out.put((byte) data.longAt(i));
            }
            return;
        }
        if (data.isBoolean() && n > 0) {
            throw new IllegalArgumentException(name() + " data must be numbers, not booleans");
        }
        if (isFloating()) {
            for (int i = 0; i < n; i++) {
                if (carrier == DataType.FLOAT64) {
                    out.putDouble(data.doubleAt(i));
                } else {
                    out.putFloat((float) data.doubleAt(i));
                }
            }
            return;
        }
        if (data.isFloating() && n > 0) {
            throw new IllegalArgumentException(name() + " data must be integers, found " + data.firstFloat());
        }
        long min = switch (this) {
            case UINT8 -> 0;
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            default -> Long.MIN_VALUE;
        };
        long max = switch (this) {
            case UINT8 -> 255;
            case INT8 -> Byte.MAX_VALUE;
            case INT16 -> Short.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
        for (int i = 0; i < n; i++) {
            long v = data.longAt(i);
            if (v < min || v > max) {
                throw new IllegalArgumentException("value " + v + " at index " + i + " does not fit " + name());
            }
            switch (this) {
                case UINT8, INT8 -> out.put((byte) v);
                case INT16 -> out.putShort((short) v);
                case INT32 -> out.putInt((int) v);
                default -> out.putLong(v);
            }
        }
    }

    /** Reads {@code count} carrier-typed values from {@code in} as a Jackson-serialisable primitive array. */
    public Object read(ByteBuffer in, int count) {
        switch (this) {
            case BOOL -> {
                boolean[] out = new boolean[count];
                for (int i = 0; i < count; i++) {
                    out[i] = in.get() != 0;
                }
                return out;
            }
            case UINT8 -> {
                int[] out = new int[count];
                for (int i = 0; i < count; i++) {
                    out[i] = Byte.toUnsignedInt(in.get());
                }
                return out;
            }
            case INT8 -> {
                int[] out = new int[count];
                for (int i = 0; i < count; i++) {
                    out[i] = in.get();
                }
                return out;
            }
            case INT16 -> {
                int[] out = new int[count];
                for (int i = 0; i < count; i++) {
                    out[i] = in.getShort();
                }
                return out;
            }
            case INT32 -> {
                int[] out = new int[count];
                in.asIntBuffer().get(out);
                in.position(in.position() + count * 4);
                return out;
            }
            case INT64 -> {
                long[] out = new long[count];
                in.asLongBuffer().get(out);
                in.position(in.position() + count * 8);
                return out;
            }
            case FP64 -> {
                double[] out = new double[count];
                in.asDoubleBuffer().get(out);
                in.position(in.position() + count * 8);
                return out;
            }
            default -> {
                float[] out = new float[count];
                in.asFloatBuffer().get(out);
                in.position(in.position() + count * 4);
                return out;
            }
        }
    }
}
