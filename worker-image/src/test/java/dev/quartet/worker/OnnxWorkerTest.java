package dev.quartet.worker;

import io.quarkus.test.junit.QuarkusTest;

/** The worker serving the tiny ResNet through ONNX Runtime (the test profile's default model). */
@QuarkusTest
class OnnxWorkerTest extends TinyResNetContract {

    @Override
    ModelFormat format() {
        return ModelFormat.ONNX;
    }

    @Override
    String modelFile() {
        return "tiny-resnet.onnx";
    }
}
