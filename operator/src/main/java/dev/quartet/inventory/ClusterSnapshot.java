package dev.quartet.inventory;

import dev.quartet.nvidia.MigPartedConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.List;

/**
 * Everything one planning pass reads from the cluster, taken from the informer caches at one moment: nodes, pods,
 * MIG Manager's mig-parted file, and for nodes of NVIDIA's DRA driver its ResourceSlices and every ResourceClaim.
 */
public record ClusterSnapshot(
        List<Node> nodes,
        List<Pod> pods,
        MigPartedConfig migConfig,
        String migConfigError,
        List<ResourceSlice> resourceSlices,
        List<ResourceClaim> resourceClaims) {

    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        pods = List.copyOf(pods);
        resourceSlices = List.copyOf(resourceSlices);
        resourceClaims = List.copyOf(resourceClaims);
    }

    /** A snapshot of a cluster without DRA nodes. */
    public ClusterSnapshot(List<Node> nodes, List<Pod> pods, MigPartedConfig migConfig, String migConfigError) {
        this(nodes, pods, migConfig, migConfigError, List.of(), List.of());
    }

    /** The same snapshot with these ResourceSlices and ResourceClaims. */
    public ClusterSnapshot withDra(List<ResourceSlice> slices, List<ResourceClaim> claims) {
        return new ClusterSnapshot(nodes, pods, migConfig, migConfigError, slices, claims);
    }

    /** The same mig-parted file (or error) and DRA objects with these nodes and pods. */
    public ClusterSnapshot withNodesAndPods(List<Node> nodes, List<Pod> pods) {
        return new ClusterSnapshot(nodes, pods, migConfig, migConfigError, resourceSlices, resourceClaims);
    }

    /** The same snapshot with other pods (and its claims). */
    public ClusterSnapshot withPods(List<Pod> pods, List<ResourceClaim> claims) {
        return new ClusterSnapshot(nodes, pods, migConfig, migConfigError, resourceSlices, claims);
    }

    /**
     * The snapshot of these nodes and pods, with the mig-parted file under {@code key} of MIG Manager's ConfigMap
     * {@code cm} (null when the ConfigMap or the key is missing; an unreadable file is {@code migConfigError}). No
     * other key is read in its place: the operator reads the configured key, the one {@code MigConfigStore} writes,
     * since layouts planned from a file Quartet's writes never change would not match what MIG Manager applies.
     */
    public static ClusterSnapshot of(List<Node> nodes, List<Pod> pods, ConfigMap cm, String key) {
        String text = cm == null || cm.getData() == null ? null : cm.getData().get(key);
        if (text == null) {
            return new ClusterSnapshot(nodes, pods, null, null);
        }
        try {
            return new ClusterSnapshot(nodes, pods, MigPartedConfig.parse(text), null);
        } catch (IllegalArgumentException e) {
            return new ClusterSnapshot(nodes, pods, null, e.getMessage());
        }
    }
}
