package dev.quartet.node;

import dev.quartet.inventory.AgentReport;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.ReplicaSlice;
import dev.quartet.nvidia.MigConfigSpec;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.NodeAgentReport;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Whether a node really has the layout of the config MIG Manager reported {@code success} for: never the state
 * label alone (MIG Manager has reported success with no instances created, NVIDIA/mig-parted#18 and #97; after a
 * timeout rollback, a late success may belong to the config Quartet abandoned). Pure.
 *
 * <p>What Quartet sees: the device plugin's allocatable (per profile, for the whole node; one {@code nvidia.com/gpu}
 * per GPU with MIG off), per GPU the slice each running pod reports ({@code quartet.dev/mig-device}), and, on a node
 * with Quartet's node agent, every GPU's real MIG mode and instances from NVML ({@code quartet.dev/mig-layout}, in
 * {@link Observed#perGpu}), compared GPU by GPU with what the config gives it. Without an agent only the node-wide
 * counts can be compared.
 */
public final class LayoutCheck {

    private LayoutCheck() {}

    /** One GPU's layout: MIG mode and instance count per profile (as the device plugin names profiles). */
    public record GpuLayout(boolean migEnabled, Map<String, Integer> counts) {
        public GpuLayout {
            // sorted by profile name, so a mismatch is said the same way every time (Events are told apart by it)
            counts = Collections.unmodifiableSortedMap(new TreeMap<>(counts));
        }
    }

    /**
     * What the node shows.
     *
     * @param allocatable slices per profile the device plugin advertises (zero counts ignored)
     * @param wholeGpus   {@code nvidia.com/gpu} the device plugin advertises: GPUs with MIG mode off
     * @param podSlices   per GPU, the profiles of the slices running pods report
     * @param perGpu      each GPU's layout as a node agent reports it (issue 16); empty where there is no agent
     */
    public record Observed(
            Map<String, Integer> allocatable,
            int wholeGpus,
            Map<Integer, List<String>> podSlices,
            Optional<Map<Integer, GpuLayout>> perGpu) {

        /** What {@code node} and its pods show, with the node agent's per-GPU layout where it has one. */
        static Observed of(GpuNode node, List<Pod> pods) {
            Map<Integer, List<String>> slices = new TreeMap<>();
            pods.stream()
                    .filter(p -> node.name().equals(PodFacts.node(p))
                            && !PodFacts.isFinished(p)
                            && !PodFacts.isTerminating(p))
                    .forEach(p -> ReplicaSlice.of(p)
                            .ifPresent(s -> slices.computeIfAbsent(s.gpu(), g -> new ArrayList<>())
                                    .add(s.profile())));
            return new Observed(node.allocatableSlices(), node.wholeGpus(), slices, perGpu(AgentReport.of(node)));
        }

        /**
         * Each GPU's layout as the node agent reports it: MIG mode and instance count per profile (an instance whose
         * profile has no name counts under its GI profile id, so it never matches a config); empty without an agent.
         */
        static Optional<Map<Integer, GpuLayout>> perGpu(AgentReport agent) {
            return agent.layout().map(layout -> {
                Map<Integer, GpuLayout> out = new TreeMap<>();
                for (NodeAgentReport.Gpu g : layout.gpus()) {
                    boolean on = g.migCapable() && g.migEnabled();
                    Map<String, Integer> counts = new TreeMap<>();
                    if (on) {
                        AgentReport.instances(g)
                                .forEach(i -> counts.merge(
                                        i.profile() == null ? "GI profile id " + i.profileId() : i.profile(),
                                        1,
                                        Integer::sum));
                    }
                    out.put(g.index(), new GpuLayout(on, counts));
                }
                return out;
            });
        }
    }

    /** The outcome of a check. */
    public sealed interface Verdict {
        /** The node shows the layout. */
        record Matches() implements Verdict {}

        /** It does not (yet): what differs, in a sentence. */
        record Differs(String detail) implements Verdict {}

        /** The config's content is not known, so there is nothing to compare with. */
        record Unknown(String why) implements Verdict {}
    }

    /**
     * Each GPU's layout under {@code config} on this node: for each GPU, the last entry that selects it, as mig-parted
     * applies them; empty when the config or an entry for some GPU is missing.
     */
    public static Map<Integer, GpuLayout> expected(GpuNode node, String config, MigPartedConfig file) {
        if (config == null || file == null || !file.configs().containsKey(config)) {
            return Map.of();
        }
        Map<Integer, GpuLayout> layout = new TreeMap<>();
        for (int i = 0; i < node.gpuCount(); i++) {
            Optional<MigConfigSpec> entry = file.entryFor(config, i, node.model());
            if (entry.isEmpty()) {
                return Map.of();
            }
            Map<String, Integer> counts = new TreeMap<>();
            if (entry.get().migEnabled()) {
                entry.get().migDevices().forEach((p, k) -> {
                    if (k > 0) {
                        // as the device plugin names it: 1c.1g.6gb in a config is 1g.6gb (mig-parted's matching)
                        String profile = node.model()
                                .migTable()
                                .matching(p)
                                .map(MigProfile::name)
                                .orElse(p);
                        counts.merge(profile, k, Integer::sum);
                    }
                });
            }
            layout.put(i, new GpuLayout(entry.get().migEnabled(), counts));
        }
        return layout;
    }

    public static Verdict verify(String config, Map<Integer, GpuLayout> expected, Observed seen) {
        if (expected.isEmpty()) {
            return new Verdict.Unknown("the content of " + config + " is not known");
        }
        if (seen.perGpu().isPresent()) {
            for (Map.Entry<Integer, GpuLayout> e : expected.entrySet()) {
                GpuLayout actual = seen.perGpu().get().get(e.getKey());
                if (!e.getValue().equals(actual)) {
                    return new Verdict.Differs("GPU " + e.getKey() + " has " + describe(actual) + ", " + config
                            + " gives it " + describe(e.getValue()));
                }
            }
        }
        Map<String, Integer> wanted = new TreeMap<>();
        int off = 0;
        for (GpuLayout g : expected.values()) {
            if (g.migEnabled()) {
                g.counts().forEach((p, k) -> wanted.merge(p, k, Integer::sum));
            } else {
                off++;
            }
        }
        Map<String, Integer> advertised = nonZero(seen.allocatable());
        if (!advertised.equals(wanted)) {
            return new Verdict.Differs("the device plugin advertises " + describe(advertised) + ", " + config
                    + " gives " + describe(wanted));
        }
        // Presence, not counts: a sharing configuration of the device plugin may advertise several nvidia.com/gpu
        // per GPU with MIG off.
        if ((off > 0) != (seen.wholeGpus() > 0)) {
            return new Verdict.Differs("the device plugin advertises " + seen.wholeGpus()
                    + " nvidia.com/gpu (GPUs with MIG off), " + config + " leaves " + off + " GPU(s) with MIG off");
        }
        for (Map.Entry<Integer, List<String>> e : seen.podSlices().entrySet()) {
            GpuLayout g = expected.get(e.getKey());
            for (String profile : e.getValue()) {
                if (g == null || !g.migEnabled() || !g.counts().containsKey(profile)) {
                    return new Verdict.Differs("a pod holds a " + profile + " slice on GPU " + e.getKey() + ", which "
                            + config + " does not give that GPU");
                }
            }
        }
        return new Verdict.Matches();
    }

    private static String describe(GpuLayout g) {
        if (g == null) {
            return "nothing reported";
        }
        return g.migEnabled() ? describe(g.counts()) : "MIG mode off";
    }

    private static String describe(Map<String, Integer> counts) {
        return counts.isEmpty() ? "no MIG slices" : counts.toString();
    }

    private static Map<String, Integer> nonZero(Map<String, Integer> m) {
        Map<String, Integer> t = new TreeMap<>();
        m.forEach((p, k) -> {
            if (k > 0) {
                t.put(p, k);
            }
        });
        return t;
    }
}
