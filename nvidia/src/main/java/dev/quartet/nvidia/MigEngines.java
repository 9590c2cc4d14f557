package dev.quartet.nvidia;

/**
 * The copy engines and media engines of one MIG instance of a profile, as NVML's GPU-instance profile info gives them
 * ({@code copyEngineCount}, {@code decoderCount}, {@code encoderCount}, {@code jpegCount}, {@code ofaCount}).
 */
public record MigEngines(int copyEngines, int decoders, int encoders, int jpegEngines, int ofaEngines) {

    public MigEngines {
        if (copyEngines < 0 || decoders < 0 || encoders < 0 || jpegEngines < 0 || ofaEngines < 0) {
            throw new IllegalArgumentException("engine counts are never negative");
        }
    }
}
