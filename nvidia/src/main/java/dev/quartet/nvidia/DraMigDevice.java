package dev.quartet.nvidia;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A dynamic MIG device as NVIDIA's DRA driver names it in a ResourceSlice: a profile at a placement of one GPU,
 * {@code gpu-<minor>-mig-<profile without dots>-<GI profile id>-<placement start>}, e.g. {@code gpu-0-mig-1g6gb-14-3}
 * (dra-driver-nvidia-gpu v0.4.1, cmd/gpu-kubelet-plugin/mig.go {@code ToCanonicalName}). The name is the only place
 * the placement shows: the driver publishes no placement attribute, and CEL selectors cannot see names.
 *
 * @param gpuMinor the parent GPU's minor number ({@code /dev/nvidia<minor>}; the simulator's GPU index)
 * @param profileToken the profile name as the device name writes it ({@code 1g6gb}, {@code 1g6gb-me})
 * @param giProfileId NVML's GPU-instance profile id
 * @param start the placement start, in memory slices
 */
public record DraMigDevice(int gpuMinor, String profileToken, int giProfileId, int start) {

    /** The driver's parse regex (mig.go {@code canonicalMigNameRegex}). */
    private static final Pattern NAME = Pattern.compile("^gpu-(\\d+)-mig-(.+)-(\\d+)-(\\d+)$");

    /** The device of this profile at this placement of GPU {@code gpuMinor}. */
    public static DraMigDevice of(int gpuMinor, MigProfile profile, int start) {
        return new DraMigDevice(gpuMinor, token(profile.name()), profile.giProfileId(), start);
    }

    /** The device a name in a ResourceSlice or a claim's allocation names; empty for a name of another shape. */
    public static Optional<DraMigDevice> parse(String name) {
        Matcher m = name == null ? null : NAME.matcher(name);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new DraMigDevice(
                Integer.parseInt(m.group(1)), m.group(2), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))));
    }

    /**
     * The profile name as the driver writes it into a device name: dots removed, then made RFC 1123 compliant
     * (lower case, anything but {@code [a-z0-9-.]} becomes {@code -}, leading and trailing {@code -} trimmed), so
     * {@code 1g.6gb+me} becomes {@code 1g6gb-me}.
     */
    public static String token(String profileName) {
        String t =
                profileName.replace(".", "").toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-.]", "-");
        return t.replaceAll("^-+", "").replaceAll("-+$", "");
    }

    /** The device's name in the ResourceSlice. */
    public String name() {
        return "gpu-" + gpuMinor + "-mig-" + profileToken + "-" + giProfileId + "-" + start;
    }

    /** The profile of a GPU of this model the device is, by GI profile id. */
    public Optional<MigProfile> profileOn(GpuModel model) {
        return model.migTable().profileWithId(giProfileId);
    }

    @Override
    public String toString() {
        return name();
    }
}
