package dev.quartet.nvidia;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Quartet's node agent reports, as docs/contracts.md defines it: the annotation names and the shape of their
 * JSON values. The agent renders them from the kubelet's PodResources and NVML; the operator reads them. One
 * definition, so the two cannot drift.
 */
public final class NodeAgentReport {

    /** On a pod holding MIG devices: which one(s), as a JSON object (an array of them for several). */
    public static final String MIG_DEVICE = "quartet.dev/mig-device";

    /** On the node: the MIG layout of every GPU, from NVML. */
    public static final String MIG_LAYOUT = "quartet.dev/mig-layout";

    /** On the node: each GPU product's MIG profile table, from NVML. */
    public static final String MIG_PROFILES = "quartet.dev/mig-profiles";

    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeAgentReport() {}

    /** The pod annotation value of one MIG device (docs/contracts.md). */
    @JsonPropertyOrder({"gpu", "profile", "start", "uuid"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record MigDevice(int gpu, String profile, int start, String uuid) {}

    /** The node's MIG layout: one entry per GPU. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Layout(List<Gpu> gpus) {}

    /** One GPU of the layout. */
    @JsonPropertyOrder({
        "index",
        "uuid",
        "product",
        "memoryMiB",
        "migCapable",
        "migEnabled",
        "migPendingEnabled",
        "instances"
    })
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Gpu(
            int index,
            String uuid,
            String product,
            long memoryMiB,
            boolean migCapable,
            boolean migEnabled,
            boolean migPendingEnabled,
            List<Instance> instances) {}

    /** One GPU instance and the MIG device on it. */
    @JsonPropertyOrder({"profile", "profileId", "giId", "start", "size", "uuid", "processes"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Instance(String profile, int profileId, int giId, int start, int size, String uuid, int processes) {}

    /** A GPU product's profile table, in the shape of MigProfileTable. */
    @JsonPropertyOrder({"memoryMiB", "computeSlices", "memorySlices", "profiles"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ProfileTable(long memoryMiB, int computeSlices, int memorySlices, List<Profile> profiles) {

        /**
         * This table as a {@link MigProfileTable}, the shape the planner's model tables have (so a GPU product missing
         * from gpu-models.yaml can be described by what its node's agent reports). Profiles without placements (NVML
         * answers them only with MIG on) are left out. Refused, with why, where it breaks NVIDIA's rules as
         * {@link MigProfileTable} and {@link MigProfile} check them.
         *
         * @throws IllegalArgumentException when the table is not a usable MIG profile table
         */
        @JsonIgnore
        public MigProfileTable migTable() {
            if (profiles == null) {
                throw new IllegalArgumentException("the profile table lists no profiles");
            }
            List<MigProfile> out = new ArrayList<>();
            for (Profile p : profiles) {
                if (p == null || p.starts() == null || p.starts().isEmpty()) {
                    continue;
                }
                out.add(new MigProfile(
                        p.giProfileId(),
                        p.name(),
                        p.computeSlices(),
                        p.memorySlices(),
                        p.multiprocessors(),
                        p.maxCount(),
                        p.starts()));
            }
            out.sort(Comparator.comparingInt(MigProfile::memorySlices)
                    .thenComparingInt(MigProfile::computeSlices)
                    .thenComparing(MigProfile::name));
            return new MigProfileTable(computeSlices, memorySlices, out);
        }
    }

    /** One profile, in the shape of MigProfile plus its memory. */
    @JsonPropertyOrder({
        "giProfileId",
        "name",
        "computeSlices",
        "memorySlices",
        "multiprocessors",
        "maxCount",
        "memoryMiB",
        "starts"
    })
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Profile(
            int giProfileId,
            String name,
            int computeSlices,
            int memorySlices,
            int multiprocessors,
            int maxCount,
            long memoryMiB,
            List<Integer> starts) {}

    /** The devices a {@code quartet.dev/mig-device} value names (one object, or an array of them). */
    public static List<MigDevice> parseMigDevices(String value) {
        try {
            JsonNode node = JSON.readTree(value);
            List<MigDevice> out = new ArrayList<>();
            if (node.isArray()) {
                for (JsonNode n : node) {
                    out.add(JSON.treeToValue(n, MigDevice.class));
                }
            } else {
                out.add(JSON.treeToValue(node, MigDevice.class));
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a " + MIG_DEVICE + " value: " + e.getOriginalMessage(), e);
        }
    }

    /** A {@code quartet.dev/mig-layout} value. */
    public static Layout parseLayout(String value) {
        try {
            return JSON.readValue(value, Layout.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a " + MIG_LAYOUT + " value: " + e.getOriginalMessage(), e);
        }
    }

    /** A {@code quartet.dev/mig-profiles} value: profile tables by product name. */
    public static Map<String, ProfileTable> parseProfileTables(String value) {
        try {
            return JSON.readValue(value, new TypeReference<Map<String, ProfileTable>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a " + MIG_PROFILES + " value: " + e.getOriginalMessage(), e);
        }
    }

    /** The GPU of {@code layout} with {@code index}, if the agent reported it. */
    public static Optional<Gpu> gpu(Layout layout, int index) {
        return layout.gpus().stream().filter(g -> g.index() == index).findFirst();
    }
}
