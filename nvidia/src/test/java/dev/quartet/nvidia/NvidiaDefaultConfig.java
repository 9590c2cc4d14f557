package dev.quartet.nvidia;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * NVIDIA's current default mig-parted file (NVIDIA/mig-parted deployments/systemd/config-default.yaml, the configs of
 * the GPU Operator's default-mig-parted-config), with a header naming its source: 81 configs for every GPU family
 * from A30 to GB300. In this module's test jar, so the operator's and the simulator's tests read the same copy.
 */
public final class NvidiaDefaultConfig {

    /** Where the file is on the test class path. */
    public static final String RESOURCE = "/dev/quartet/nvidia/nvidia-mig-parted-config-default.yaml";

    private NvidiaDefaultConfig() {}

    /** The file's text, byte for byte. */
    public static String text() {
        try (InputStream in = NvidiaDefaultConfig.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
