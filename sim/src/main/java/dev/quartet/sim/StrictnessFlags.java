package dev.quartet.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command-line flags of {@link Strictness}, shared by the standalone simulator ({@link GpuNodeSimulatorMain}),
 * {@code hack/local-cluster.sh up} (which passes them on) and the test fixture (environment variable
 * {@value #ENVIRONMENT}).
 */
public final class StrictnessFlags {

    /** Environment variable (or system property {@value #PROPERTY}) of flags the test fixture applies to defaults. */
    public static final String ENVIRONMENT = "QUARTET_SIM_FLAGS";

    public static final String PROPERTY = "quartet.sim.flags";

    static final String USAGE = """
        --strict                      every behaviour as NVIDIA's stack has it, with short delays (for tests)
        --realistic                   the same with a real node's delays (operands 30 s / 60 s, ConfigMap lag 75 s,
                                      reboot 3 min; add --reconfigure-delay 10s for the apply)
        --device-choice C             least-busy-gpu (default) | random: who picks a pod's free device
        --seed N                      seed of --device-choice random (default: from the clock, logged)
        --operand-shutdown STOP,UP    MIG Manager pauses device plugin, GFD, DCGM: e.g. 30s,60s (default off)
        --config-file-lag D           MIG Manager's mounted ConfigMap lags this much, e.g. 75s (default 0)
        --finish-apply-in-flight      a changed nvidia.com/mig.config waits for the apply in flight (default: cancels)
        --state-shortcuts             success without pending when already applied, failed before pending for an
                                      unknown config (default: always pending first)
        --apply M                     all-or-nothing (default) | gpu-by-gpu: mig-parted's apply, busy = processes
        --mig-mode-change M           in-place (default) | reset | reset-fails | reboot
        --reboot-duration D           how long a reboot takes (default 2s)
      Durations: 500ms, 30s, 3m.""";

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

    private StrictnessFlags() {}

    /** Whether {@code flag} is one of these flags. */
    static boolean isStrictnessFlag(String flag) {
        return switch (flag) {
            case "--strict",
                    "--realistic",
                    "--device-choice",
                    "--seed",
                    "--operand-shutdown",
                    "--config-file-lag",
                    "--finish-apply-in-flight",
                    "--state-shortcuts",
                    "--apply",
                    "--mig-mode-change",
                    "--reboot-duration" -> true;
            default -> false;
        };
    }

    /**
     * Applies the flag at {@code args[i]} (and its value) to {@code s}; returns the index of the last argument used.
     */
    static int apply(String[] args, int i, Strictness[] s) {
        String flag = args[i];
        switch (flag) {
            case "--strict" -> s[0] = Strictness.nvidia();
            case "--realistic" -> s[0] = Strictness.realistic();
            case "--device-choice" ->
                s[0] = s[0].withDeviceChoice(
                        enumValue(Strictness.DeviceChoice.class, value(args, ++i, flag)), s[0].deviceChoiceSeed());
            case "--seed" -> s[0] = s[0].withDeviceChoice(s[0].deviceChoice(), Long.parseLong(value(args, ++i, flag)));
            case "--operand-shutdown" -> s[0] = s[0].withOperandShutdown(operandShutdown(value(args, ++i, flag)));
            case "--config-file-lag" -> s[0] = s[0].withConfigFileLag(duration(value(args, ++i, flag)));
            case "--finish-apply-in-flight" -> s[0] = s[0].withFinishApplyInFlight(true);
            case "--state-shortcuts" -> s[0] = s[0].withStateShortcuts(true);
            case "--apply" ->
                s[0] = s[0].withApplyModel(enumValue(Strictness.ApplyModel.class, value(args, ++i, flag)));
            case "--mig-mode-change" ->
                s[0] = s[0].withMigModeChange(enumValue(Strictness.MigModeChange.class, value(args, ++i, flag)));
            case "--reboot-duration" -> s[0] = s[0].withRebootDuration(duration(value(args, ++i, flag)));
            default -> throw new IllegalArgumentException("unknown option " + flag);
        }
        return i;
    }

    /** {@code options} with the flags of {@code text} (whitespace-separated, as on a command line) applied. */
    public static SimulatorOptions applyTo(SimulatorOptions options, String text) {
        if (text == null || text.isBlank()) {
            return options;
        }
        String[] args = text.trim().split("\\s+");
        Strictness[] s = {options.strictness()};
        for (int i = 0; i < args.length; i++) {
            if (!isStrictnessFlag(args[i])) {
                throw new IllegalArgumentException(
                        "unknown simulator flag " + args[i] + " in " + ENVIRONMENT + "; known:\n" + USAGE);
            }
            i = apply(args, i, s);
        }
        return options.withStrictness(s[0]);
    }

    /**
     * {@code options} with the flags of the environment variable {@value #ENVIRONMENT} (or system property
     * {@value #PROPERTY}, which wins) applied: how a whole test run is switched to stricter behaviours.
     */
    public static SimulatorOptions fromEnvironment(SimulatorOptions options) {
        return applyTo(options, System.getProperty(PROPERTY, System.getenv(ENVIRONMENT)));
    }

    /** {@code 500ms}, {@code 30s}, {@code 3m}. */
    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("bad duration '" + text + "': expected e.g. 500ms, 30s or 3m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private static Strictness.OperandShutdown operandShutdown(String text) {
        if (text.equals("off")) {
            return Strictness.OperandShutdown.OFF;
        }
        String[] parts = text.split(",");
        if (parts.length != 2) {
            throw new IllegalArgumentException("--operand-shutdown wants STOP,RESTART (e.g. 30s,60s) or off");
        }
        return Strictness.OperandShutdown.of(duration(parts[0]), duration(parts[1]));
    }

    /** {@code gpu-by-gpu} as {@code GPU_BY_GPU}. */
    private static <E extends Enum<E>> E enumValue(Class<E> type, String text) {
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            List<String> names = new ArrayList<>();
            for (E value : type.getEnumConstants()) {
                names.add(flagName(value));
            }
            throw new IllegalArgumentException("bad value '" + text + "': expected one of " + names);
        }
    }

    /** {@code GPU_BY_GPU} as {@code gpu-by-gpu}. */
    static String flagName(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
