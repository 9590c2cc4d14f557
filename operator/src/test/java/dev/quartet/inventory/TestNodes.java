package dev.quartet.inventory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.nvidia.NodeAgentReport;
import dev.quartet.nvidia.NvidiaDefaultConfig;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.nvidia.ReportedH200;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** GPU nodes as the cluster shows them, for tests that build a snapshot or a fake API server. */
public final class TestNodes {

    /**
     * A mig-parted config entry, {@code per-gpu}, that puts GPU 0 of an A30 node at 4x 1g.6gb and GPU 1 at
     * 1x 4g.24gb (as a config of Quartet's own would), indented to go under {@code mig-configs:}.
     */
    public static final String PER_GPU_ENTRY = """
              per-gpu:
                - devices: [0]
                  mig-enabled: true
                  mig-devices:
                    "1g.6gb": 4
                - devices: [1]
                  mig-enabled: true
                  mig-devices:
                    "4g.24gb": 1
            """;

    private TestNodes() {}

    /**
     * A {@code quartet.dev/mig-layout} value as Quartet's node agent writes it for A30s: one argument per GPU, by
     * index, {@code "off"} for MIG mode off, else its instances as {@code profile@start} separated by spaces (possibly
     * none: {@code ""}).
     */
    public static String agentLayout(String... gpus) {
        List<NodeAgentReport.Gpu> out = new ArrayList<>();
        for (int i = 0; i < gpus.length; i++) {
            boolean on = !gpus[i].equals("off");
            List<NodeAgentReport.Instance> instances = new ArrayList<>();
            int gi = 1;
            for (String s : on ? gpus[i].trim().split(" +") : new String[0]) {
                if (s.isEmpty()) {
                    continue;
                }
                String profile = s.substring(0, s.indexOf('@'));
                int start = Integer.parseInt(s.substring(s.indexOf('@') + 1));
                instances.add(new NodeAgentReport.Instance(profile, 0, gi++, start, 1, "MIG-" + i + "-" + start, 0));
            }
            out.add(new NodeAgentReport.Gpu(i, "GPU-" + i, "NVIDIA A30", 24576, true, on, on, instances));
        }
        try {
            return new ObjectMapper().writeValueAsString(new NodeAgentReport.Layout(out));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The node as it is with Quartet's node agent reporting {@code layout} ({@link #agentLayout}). */
    public static NodeBuilder withAgent(NodeBuilder node, String layout) {
        return node.editMetadata()
                .addToAnnotations(NodeAgentReport.MIG_LAYOUT, layout)
                .endMetadata();
    }

    /**
     * NVIDIA's current default mig-parted file, whole (81 configs, GPUs from A30 to GB300), as the nvidia module's
     * tests hold it.
     */
    public static String nvidiaDefault() {
        return NvidiaDefaultConfig.text();
    }

    /** Two A30s selecting {@link #PER_GPU_ENTRY}, applied and advertised. */
    public static NodeBuilder perGpuA30(String name) {
        return node(
                name,
                "NVIDIA-A30",
                2,
                "per-gpu",
                "success",
                Map.of(
                        NvidiaLabels.resourceName("1g.6gb"),
                        new Quantity("4"),
                        NvidiaLabels.resourceName("4g.24gb"),
                        new Quantity("1")));
    }

    /**
     * A Ready MIG node as GFD, MIG Manager ({@code config} and {@code state}, either may be null) and the device
     * plugin show it.
     */
    public static NodeBuilder node(
            String name, String product, int gpus, String config, String state, Map<String, Quantity> allocatable) {
        NodeBuilder b = new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withUid("uid-" + name)
                .addToLabels(NvidiaLabels.MIG_CAPABLE, "true")
                .addToLabels(NvidiaLabels.MIG_STRATEGY, "mixed")
                .addToLabels(NvidiaLabels.GPU_PRODUCT, product)
                .addToLabels(NvidiaLabels.GPU_COUNT, String.valueOf(gpus))
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .withNewStatus()
                .withAllocatable(allocatable)
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .withLastTransitionTime("2024-04-01T00:00:00Z")
                .endCondition()
                .endStatus();
        if (config != null) {
            b.editMetadata().addToLabels(NvidiaLabels.MIG_CONFIG, config).endMetadata();
        }
        if (state != null) {
            b.editMetadata().addToLabels(NvidiaLabels.MIG_CONFIG_STATE, state).endMetadata();
        }
        return b;
    }

    /**
     * Two H200s (a GPU no built-in model describes), MIG on and empty (NVIDIA's all-enabled), as GFD labels them and
     * the node agent reports them; with {@code withTable}, the agent also reports the H200's profile table.
     */
    public static Node h200Node(String name, boolean withTable) {
        List<NodeAgentReport.Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            gpus.add(new NodeAgentReport.Gpu(
                    i, "GPU-h200-" + i, ReportedH200.PRODUCT, ReportedH200.MEMORY_MIB, true, true, true, List.of()));
        }
        NodeBuilder node;
        try {
            node = withAgent(
                    node(
                            name,
                            ReportedH200.PRODUCT_LABEL,
                            2,
                            "all-enabled",
                            NvidiaLabels.STATE_SUCCESS,
                            Map.of("cpu", new Quantity("32"))),
                    new ObjectMapper().writeValueAsString(new NodeAgentReport.Layout(gpus)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (withTable) {
            node.editMetadata()
                    .addToAnnotations(NodeAgentReport.MIG_PROFILES, ReportedH200.profilesAnnotation())
                    .endMetadata();
        }
        return node.build();
    }
}
