package dev.quartet.worker;

import java.util.Locale;

/** The model file formats the worker serves, each with its DJL engine and OIP platform name. */
public enum ModelFormat {
    TORCHSCRIPT("PyTorch", "pytorch_torchscript", ".pt"),
    ONNX("OnnxRuntime", "onnxruntime_onnx", ".onnx");

    private final String engine;
    private final String platform;
    private final String extension;

    ModelFormat(String engine, String platform, String extension) {
        this.engine = engine;
        this.platform = platform;
        this.extension = extension;
    }

    /** DJL engine name. */
    public String engine() {
        return engine;
    }

    /** Platform string reported in model metadata (Triton's names). */
    public String platform() {
        return platform;
    }

    /** The format a file name implies: {@code .onnx} is ONNX, anything else TorchScript. */
    public static ModelFormat fromFileName(String fileName) {
        return fileName.toLowerCase(Locale.ROOT).endsWith(ONNX.extension) ? ONNX : TORCHSCRIPT;
    }
}
