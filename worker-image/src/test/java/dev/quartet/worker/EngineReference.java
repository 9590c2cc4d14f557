package dev.quartet.worker;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The same engine called directly in-process (DJL Predictor, no HTTP, no batching): the reference for outputs. */
final class EngineReference implements AutoCloseable {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;

    EngineReference(Path file, ModelFormat format) throws Exception {
        EngineSettings.apply();
        model = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file)
                .optEngine(format.engine())
                .optTranslator(new NoopTranslator())
                .build()
                .loadModel();
        predictor = model.newPredictor();
    }

    /** Runs the model on inputs made by {@code inputs}; returns every output converted by {@code read}. */
    <T> List<T> run(Function<NDManager, NDList> inputs, Function<NDArray, T> read) throws Exception {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDList outputs = predictor.predict(inputs.apply(manager));
            List<T> values = new ArrayList<>();
            for (NDArray output : outputs) {
                values.add(read.apply(output));
            }
            outputs.close();
            return values;
        }
    }

    /** The tiny ResNet's logits for {@code rows} images, computed directly. */
    float[] logits(float[] images, int rows) throws Exception {
        return run(m -> new NDList(named(m.create(images, new Shape(rows, 3, 32, 32)), "image")), NDArray::toFloatArray)
                .get(0);
    }

    /** An output's values as a boxed list, by datatype (for comparing with JSON). */
    static List<?> values(NDArray array) {
        return switch (array.getDataType()) {
            case BOOLEAN -> {
                List<Boolean> out = new ArrayList<>();
                for (boolean b : array.toBooleanArray()) {
                    out.add(b);
                }
                yield out;
            }
            case INT32 -> java.util.Arrays.stream(array.toIntArray()).boxed().toList();
            case INT64 -> java.util.Arrays.stream(array.toLongArray()).boxed().toList();
            default -> {
                List<Float> out = new ArrayList<>();
                for (float f : array.toFloatArray()) {
                    out.add(f);
                }
                yield out;
            }
        };
    }

    static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
