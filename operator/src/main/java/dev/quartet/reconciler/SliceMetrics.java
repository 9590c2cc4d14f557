package dev.quartet.reconciler;

import dev.quartet.inventory.Inventory;
import dev.quartet.planner.Plan;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus gauges of MIG capacity after each plan: {@code quartet_slices{profile,state}} with state used or
 * free, and {@code quartet_replicas_unsatisfied}.
 */
@ApplicationScoped
public class SliceMetrics {

    @Inject
    MeterRegistry registry;

    private MultiGauge slices;
    private MultiGauge unsatisfied;

    @PostConstruct
    void register() {
        slices = MultiGauge.builder("quartet.slices")
                .description("MIG slices by profile and state")
                .register(registry);
        unsatisfied = MultiGauge.builder("quartet.replicas.unsatisfied")
                .description("Replicas the planner found no slice for, by deployment")
                .register(registry);
    }

    void update(Plan plan, Inventory inventory) {
        Map<List<String>, Integer> counts =
                new TreeMap<>((a, b) -> String.join("|", a).compareTo(String.join("|", b)));
        inventory
                .state()
                .nodes()
                .forEach(n -> n.gpus()
                        .forEach(g -> g.instances()
                                .forEach(i -> counts.merge(
                                        List.of(i.profile(), i.isFree() ? "free" : "used"), 1, Integer::sum))));
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        counts.forEach((k, v) -> rows.add(MultiGauge.Row.of(Tags.of("profile", k.get(0), "state", k.get(1)), v)));
        slices.register(rows, true);
        List<MultiGauge.Row<?>> missing = new ArrayList<>();
        plan.unsatisfied()
                .forEach(u -> missing.add(MultiGauge.Row.of(
                        Tags.of("deployment", u.demand(), "reason", u.reason().name()), u.missing())));
        unsatisfied.register(missing, true);
    }
}
