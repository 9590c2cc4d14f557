package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When requests may be merged into one engine call. */
class ModelSignatureTest {

    private static TensorSpec spec(String name, String firstDim, long... shape) {
        return new TensorSpec(
                name, Datatype.FP32, java.util.Arrays.stream(shape).boxed().toList(), firstDim);
    }

    @Test
    void outputsThatFollowTheNamedBatchDimensionAllowMerging() {
        assertTrue(new ModelSignature(List.of(spec("x", "batch", -1, 4)), List.of(spec("y", "batch", -1, 10)))
                .batchable());
    }

    @Test
    void anOutputWithADynamicFirstDimensionOfAnotherNameIsNotPerRow() {
        // NonZero-style hits: as many rows as the model finds, not one per request row.
        assertFalse(
                new ModelSignature(List.of(spec("x", "batch", -1, 4)), List.of(spec("idx", "n", -1, 2))).batchable());
    }

    @Test
    void unnamedDimensionsAndFixedOutputsKeepTheShapeRule() {
        assertTrue(new ModelSignature(List.of(spec("x", null, -1, 4)), List.of(spec("y", "n", -1, 2))).batchable());
        assertTrue(new ModelSignature(List.of(spec("x", "batch", -1, 4)), List.of(spec("y", null, 1, 10))).batchable());
        assertFalse(new ModelSignature(List.of(spec("x", null, 1, 4)), List.of(spec("y", null, -1, 2))).batchable());
    }

    @Test
    void anOnnxModelWhoseOutputIsNotPerRowIsServedOneRequestAtATime() throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of(
                ModelSignatureTest.class.getResource("/models/nonzero.onnx").toURI());

        ModelSignature signature = SignatureReader.onnx(file);

        assertTrue(signature.inputs().get(0).batchable());
        org.junit.jupiter.api.Assertions.assertEquals(
                "batch", signature.inputs().get(0).firstDimName());
        org.junit.jupiter.api.Assertions.assertEquals(
                "n", signature.outputs().get(0).firstDimName());
        assertFalse(signature.batchable());
    }
}
