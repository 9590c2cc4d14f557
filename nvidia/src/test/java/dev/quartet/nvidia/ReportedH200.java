package dev.quartet.nvidia;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * An NVIDIA H200 (141 GB) as a node agent reports it: a GPU product missing from gpu-models.yaml. For the tests of
 * models known only at run time; shared with the operator's and the simulator's tests through this module's test jar.
 *
 * <p>Profile names and the most instances of each are those of NVIDIA's mig-parted default config (the H200-141GB
 * entries of nvidia-mig-parted-config-default.yaml: 7 x 1g.18gb, 1 x 1g.18gb+me, 4 x 1g.35gb, 3 x 2g.35gb, 2 x
 * 3g.71gb, 1 x 4g.71gb, 1 x 7g.141gb). NOT verified against an H200's {@code nvidia-smi mig -lgip/-lgipp}: the GI
 * profile ids, placements (starts) and multiprocessor counts are taken to be the H100's (same Hopper die, 7 compute and
 * 8 memory slices, 132 SMs on the SXM part), and the memory sizes are approximations; the tests rely on the shape, not
 * on these numbers.
 */
public final class ReportedH200 {

    /** NVML's product name, as the agent's layout and profile tables name it. */
    public static final String PRODUCT = "NVIDIA H200";

    /** GFD's {@code nvidia.com/gpu.product} label: NVML's name with dashes for spaces. */
    public static final String PRODUCT_LABEL = "NVIDIA-H200";

    /** Memory of the whole GPU, as NVML reports it (MiB). */
    public static final long MEMORY_MIB = 143771;

    private ReportedH200() {}

    /** The profile table the agent reports for the H200. */
    public static NodeAgentReport.ProfileTable table() {
        return new NodeAgentReport.ProfileTable(
                MEMORY_MIB,
                7,
                8,
                List.of(
                        profile(19, "1g.18gb", 1, 1, 16, 7, 16384, List.of(0, 1, 2, 3, 4, 5, 6)),
                        profile(20, "1g.18gb+me", 1, 1, 16, 1, 16384, List.of(0, 1, 2, 3, 4, 5, 6)),
                        profile(15, "1g.35gb", 1, 2, 16, 4, 32768, List.of(0, 2, 4, 6)),
                        profile(14, "2g.35gb", 2, 2, 32, 3, 32768, List.of(0, 2, 4)),
                        profile(9, "3g.71gb", 3, 4, 60, 2, 69632, List.of(0, 4)),
                        profile(5, "4g.71gb", 4, 4, 64, 1, 69632, List.of(0)),
                        profile(0, "7g.141gb", 7, 8, 132, 1, 143360, List.of(0))));
    }

    private static NodeAgentReport.Profile profile(
            int id, String name, int compute, int memory, int sms, int max, long memoryMiB, List<Integer> starts) {
        return new NodeAgentReport.Profile(id, name, compute, memory, sms, max, memoryMiB, starts);
    }

    /** A {@code quartet.dev/mig-profiles} value with the H200's table. */
    public static String profilesAnnotation() {
        try {
            return new ObjectMapper().writeValueAsString(Map.of(PRODUCT, table()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The H200's table as the planner's model tables are. */
    public static MigProfileTable migTable() {
        return table().migTable();
    }
}
