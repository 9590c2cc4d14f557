package dev.quartet.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The DRA benchmark's scenario (docs/benchmarks.md), shared by its first-fit baseline and its run through Quartet so
 * that both see the same events: {@code warmup} arrivals, then arrivals and departures (of any replica, placed or
 * waiting) at 55 : 45; each arrival 1g.6gb : 2g.12gb : 4g.24gb at 50 : 35 : 15, from a seeded generator.
 */
public final class DraChurnScenario {

    private DraChurnScenario() {}

    /** One event of the scenario. */
    public record Event(int step, String kind, String name, String profile) {}

    public static List<Event> of(long seed, int events, int warmup) {
        Random r = new Random(seed);
        List<Event> out = new ArrayList<>();
        List<String> alive = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            if (i >= warmup && !alive.isEmpty() && r.nextDouble() < 0.45) {
                String gone = alive.remove(r.nextInt(alive.size()));
                out.add(new Event(i, "depart", gone, null));
            } else {
                double p = r.nextDouble();
                String profile = p < 0.5 ? "1g.6gb" : p < 0.85 ? "2g.12gb" : "4g.24gb";
                String name = "r" + i;
                alive.add(name);
                out.add(new Event(i, "arrive", name, profile));
            }
        }
        return out;
    }
}
