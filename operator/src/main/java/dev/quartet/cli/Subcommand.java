package dev.quartet.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

/** One {@code kubectl quartet} subcommand; {@link KubectlQuartet} dispatches on {@link #name()}. */
public interface Subcommand {

    /** Exit code for bad input or usage: one line on standard error names the problem. */
    int BAD_INPUT = 2;

    String name();

    /** Arguments after the name, e.g. {@code FILE}. */
    String usage();

    String summary();

    int run(List<String> args, InputStream in, PrintStream out, PrintStream err);
}
