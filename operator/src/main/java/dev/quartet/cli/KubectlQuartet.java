package dev.quartet.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code kubectl quartet} command line: dispatches to a {@link Subcommand} by name. */
public final class KubectlQuartet {

    private final Map<String, Subcommand> subcommands = new LinkedHashMap<>();

    public KubectlQuartet(List<Subcommand> subcommands) {
        subcommands.forEach(s -> this.subcommands.put(s.name(), s));
    }

    /** The subcommands shipped: {@code plan} (a scenario file, or a preview on the live cluster), {@code layout} and {@code explain} (the live cluster). */
    public static KubectlQuartet standard() {
        return new KubectlQuartet(List.of(new PlanCommand(), new LayoutCommand(), new ExplainCommand()));
    }

    public static void main(String[] args) {
        System.exit(standard().run(args, System.in, System.out, System.err));
    }

    public int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? Subcommand.BAD_INPUT : 0;
        }
        Subcommand subcommand = subcommands.get(args[0]);
        if (subcommand == null) {
            err.println("kubectl quartet: unknown command '" + args[0] + "' (known: "
                    + String.join(", ", subcommands.keySet()) + ")");
            return Subcommand.BAD_INPUT;
        }
        return subcommand.run(Arrays.asList(args).subList(1, args.length), in, out, err);
    }

    private void usage(PrintStream out) {
        out.println("usage: kubectl quartet COMMAND [ARGS]");
        for (Subcommand subcommand : subcommands.values()) {
            out.printf("  %-6s %-8s %s%n", subcommand.name(), subcommand.usage(), subcommand.summary());
        }
    }
}
