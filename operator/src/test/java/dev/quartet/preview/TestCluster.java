package dev.quartet.preview;

import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.inventory.TestNodes;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.TestDeployments;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.nvidia.NvidiaLabels;
import dev.quartet.planner.Plan;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small cluster as the API server would show it, for the preview tests: A30 nodes at 4x1g.6gb per GPU (NVIDIA's
 * {@code all-1g.6gb}), Quartet replicas on reported slices, and InferenceDeployments in namespace {@code ml}.
 */
public final class TestCluster {

    public static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");
    static final MigPartedConfig NVIDIA = MigPartedConfig.parse(TestNodes.nvidiaDefault());

    public final List<Node> nodes = new ArrayList<>();
    public final List<Pod> pods = new ArrayList<>();
    public final List<InferenceDeployment> deployments = new ArrayList<>();

    /** {@code count} nodes {@code a}, {@code b}, ... of {@code gpus} A30s each, every GPU at 4x1g.6gb. */
    public static TestCluster a30s(int count, int gpus) {
        TestCluster c = new TestCluster();
        for (int i = 0; i < count; i++) {
            c.nodes.add(TestNodes.node(
                            String.valueOf((char) ('a' + i)),
                            "NVIDIA-A30",
                            gpus,
                            "all-1g.6gb",
                            "success",
                            Map.of(NvidiaLabels.resourceName("1g.6gb"), new Quantity(String.valueOf(4 * gpus))))
                    .build());
        }
        return c;
    }

    /** Adds the deployment in namespace ml. */
    public InferenceDeployment deploy(InferenceDeployment d) {
        d.getMetadata().setNamespace("ml");
        deployments.add(d);
        return d;
    }

    /** A running, Ready replica {@code <deployment>-<ordinal>} on GPU {@code gpu} of {@code node} at {@code start}. */
    public Pod replica(String deployment, int ordinal, String node, int gpu, String profile, int start) {
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withNamespace("ml")
                .withName(deployment + "-" + ordinal)
                .addToLabels(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE)
                .addToLabels(QuartetLabels.DEPLOYMENT, deployment)
                .addToLabels(QuartetLabels.PROFILE, profile.replace("+me", ".me"))
                .addToAnnotations(
                        QuartetLabels.MIG_DEVICE,
                        "{\"gpu\":" + gpu + ",\"profile\":\"" + profile + "\",\"start\":" + start + ",\"uuid\":\"MIG-"
                                + node + "-" + gpu + "-" + start + "\"}")
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName("worker")
                .withImage("w:1")
                .withNewResources()
                .addToLimits(NvidiaLabels.resourceName(profile), new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
        pods.add(pod);
        return pod;
    }

    /** {@code count} replicas of {@code deployment} at 1g.6gb filling slots of the GPUs in node, GPU, slot order. */
    public void fill1g(String deployment, int count, String... nodeNames) {
        int placed = 0;
        for (String node : nodeNames) {
            int gpus = nodes.stream()
                    .filter(n -> n.getMetadata().getName().equals(node))
                    .findFirst()
                    .map(n -> Integer.parseInt(n.getMetadata().getLabels().get(NvidiaLabels.GPU_COUNT)))
                    .orElseThrow();
            for (int g = 0; g < gpus && placed < count; g++) {
                for (int s = 0; s < 4 && placed < count; s++) {
                    if (slotTaken(node, g, s)) {
                        continue;
                    }
                    replica(deployment, ordinal(deployment), node, g, "1g.6gb", s);
                    placed++;
                }
            }
        }
    }

    private boolean slotTaken(String node, int gpu, int start) {
        String prefix = "{\"gpu\":" + gpu + ",";
        return pods.stream()
                .anyMatch(p -> node.equals(p.getSpec().getNodeName())
                        && p.getMetadata()
                                .getAnnotations()
                                .get(QuartetLabels.MIG_DEVICE)
                                .startsWith(prefix)
                        && p.getMetadata()
                                .getAnnotations()
                                .get(QuartetLabels.MIG_DEVICE)
                                .contains("\"start\":" + start));
    }

    private int ordinal(String deployment) {
        return (int) pods.stream()
                .filter(p -> deployment.equals(p.getMetadata().getLabels().get(QuartetLabels.DEPLOYMENT)))
                .count();
    }

    public ClusterSnapshot snapshot() {
        return new ClusterSnapshot(nodes, pods, NVIDIA, null);
    }

    public PlanningInput input() {
        return PlanningInput.of(snapshot(), deployments, PlanningSettings.DEFAULTS, NOW);
    }

    /** The input with {@code applied} created or replacing their namesakes. */
    public PlanningInput inputWith(InferenceDeployment... applied) {
        List<InferenceDeployment> changed = new ArrayList<>();
        for (InferenceDeployment d : applied) {
            d.getMetadata().setNamespace("ml");
            changed.add(d);
        }
        return PlanningInput.of(
                snapshot(), PlanningInput.withChanges(deployments, changed, List.of()), PlanningSettings.DEFAULTS, NOW);
    }

    public static Plan plan(PlanningInput input) {
        return input.plan(PlanningSettings.DEFAULTS.planner());
    }

    public static InferenceDeployment deployment(String name, String profile, int replicas) {
        return TestDeployments.of(name, profile, replicas);
    }
}
