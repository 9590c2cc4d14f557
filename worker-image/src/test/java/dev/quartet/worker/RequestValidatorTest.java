package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the validator refuses before anything is packed or reaches the engine, against a hand-made signature. */
class RequestValidatorTest {

    /** Shaped like the PaddleOCR classifier: dynamic batch, height and width. */
    static final RequestValidator IMAGES = new RequestValidator(new ModelSignature(
            List.of(new TensorSpec("x", Datatype.FP32, List.of(-1L, 3L, -1L, -1L))),
            List.of(new TensorSpec("y", Datatype.FP32, List.of(-1L, 2L)))));

    static Oip.InferRequest floats(List<Long> shape, int values) {
        TensorData data = new TensorData();
        for (int i = 0; i < values; i++) {
            data.addDouble(0.5);
        }
        return new Oip.InferRequest("r", null, List.of(new Oip.InputTensor("x", shape, "FP32", null, data)), null);
    }

    static InferenceError refused(RequestValidator validator, Oip.InferRequest request) {
        InferenceError e = assertThrows(InferenceError.class, () -> validator.validate(request));
        assertEquals(400, e.status(), e.getMessage());
        return e;
    }

    @Test
    void aShapeWhoseElementCountOverflowsIsTooLarge() {
        // 3 * 6148914691236517206 = 2^64 + 2: the count wrapped to 2 and two values matched it.
        List<Long> shape = List.of(1L, 3L, 6148914691236517206L, 1L);
        InferenceError e = refused(IMAGES, floats(shape, 2));
        assertTrue(e.getMessage().contains("input 'x': shape " + shape + " is too large"), e.getMessage());
    }

    @Test
    void aZeroDimensionIsRefused() {
        for (List<Long> shape : List.of(
                List.of(200000L, 3L, 48L, 0L), List.of(1L, 3L, 0L, Long.MAX_VALUE), List.of(0L, 3L, 48L, 48L))) {
            InferenceError e = refused(IMAGES, floats(shape, 0));
            assertTrue(
                    e.getMessage().contains("input 'x': shape " + shape + " has size 0 at dimension"), e.getMessage());
        }
    }

    @Test
    void binaryBoolBytesOtherThanZeroAndOneAreRefused() {
        RequestValidator masks = new RequestValidator(new ModelSignature(
                List.of(new TensorSpec("mask", Datatype.BOOL, List.of(-1L, 4L))),
                List.of(new TensorSpec("kept", Datatype.BOOL, List.of(-1L, 4L)))));
        for (byte bad : new byte[] {2, (byte) 0xFE}) {
            InferenceError e = refused(masks, mask(new byte[] {1, bad, 0, 1}));
            assertTrue(
                    e.getMessage().contains("input 'mask': BOOL byte " + Byte.toUnsignedInt(bad) + " at index 1"),
                    e.getMessage());
        }
        assertEquals(1, masks.validate(mask(new byte[] {1, 0, 0, 1})).rows());
    }

    static Oip.InferRequest mask(byte[] bytes) {
        return new Oip.InferRequest(
                "r",
                null,
                List.of(new Oip.InputTensor(
                        "mask",
                        List.of(1L, 4L),
                        "BOOL",
                        null,
                        TensorData.binary(Datatype.BOOL, ByteBuffer.wrap(bytes)))),
                null);
    }
}
