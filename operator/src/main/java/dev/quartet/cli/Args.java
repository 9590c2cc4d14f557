package dev.quartet.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A subcommand's arguments: flags that take a value ({@code -f FILE}, {@code --delete NAME}; repeatable), flags
 * that take none, and positional arguments. An unknown flag or a flag without its value throws
 * IllegalArgumentException naming it.
 */
final class Args {

    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Args() {}

    static Args parse(List<String> args, Set<String> valued, Set<String> switches) {
        Args parsed = new Args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String flag = a;
            String inline = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                flag = a.substring(0, eq);
                inline = a.substring(eq + 1);
            }
            if (valued.contains(flag)) {
                if (inline == null && i + 1 >= args.size()) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = inline != null ? inline : args.get(++i);
                parsed.values.computeIfAbsent(flag, k -> new ArrayList<>()).add(value);
            } else if (switches.contains(a)) {
                parsed.values.computeIfAbsent(a, k -> new ArrayList<>());
            } else if (a.startsWith("-") && !a.equals("-")) {
                throw new IllegalArgumentException("unknown argument '" + a + "'");
            } else {
                parsed.positional.add(a);
            }
        }
        return parsed;
    }

    boolean has(String flag) {
        return values.containsKey(flag);
    }

    /** Every value given for the flag, in order. */
    List<String> all(String flag) {
        return values.getOrDefault(flag, List.of());
    }

    /** The flag's last value, if given. */
    Optional<String> last(String flag) {
        List<String> v = all(flag);
        return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
    }

    List<String> positional() {
        return positional;
    }
}
