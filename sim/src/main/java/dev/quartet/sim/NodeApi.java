package dev.quartet.sim;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Every write the simulator makes to Node and Lease objects, as JSON merge patches that never fight other writers. */
final class NodeApi {

    static final String LEASE_NAMESPACE = "kube-node-lease";
    static final int LEASE_SECONDS = 40;
    private static final DateTimeFormatter MICRO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final Map<String, String> BASE_CAPACITY =
            Map.of("cpu", "32", "memory", "256Gi", "pods", "110", "ephemeral-storage", "500Gi");

    private final KubernetesClient client;
    private String kubeletVersion;

    NodeApi(KubernetesClient client) {
        this.client = client;
    }

    /** A kubelet runs the control plane's release (or one a little older); the simulated one claims the same. */
    private String kubeletVersion() {
        if (kubeletVersion == null) {
            kubeletVersion = client.getKubernetesVersion().getGitVersion();
        }
        return kubeletVersion;
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Registers the node (replacing a stale one of the same name) the way a kubelet does; returns its uid. */
    String register(String name, Map<String, String> labels, Map<String, Integer> resources, boolean ready) {
        Node existing = client.nodes().withName(name).get();
        if (existing != null) {
            client.nodes().withName(name).withGracePeriod(0).delete();
            client.nodes().withName(name).waitUntilCondition(n -> n == null, 30, TimeUnit.SECONDS);
        }
        Map<String, Quantity> capacity = new LinkedHashMap<>();
        BASE_CAPACITY.forEach((k, v) -> capacity.put(k, new Quantity(v)));
        resources.forEach((k, v) -> {
            if (v != null) {
                capacity.put(k, new Quantity(Integer.toString(v)));
            }
        });
        Map<String, String> present = new LinkedHashMap<>();
        labels.forEach((k, v) -> {
            if (v != null) {
                present.put(k, v);
            }
        });
        Node node = new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(present)
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .withNewStatus()
                .withCapacity(capacity)
                .withAllocatable(capacity)
                .addNewAddress()
                .withType("InternalIP")
                .withAddress("127.0.0.1")
                .endAddress()
                .addNewAddress()
                .withType("Hostname")
                .withAddress(name)
                .endAddress()
                .withNewDaemonEndpoints()
                .withNewKubeletEndpoint()
                .withPort(10250)
                .endKubeletEndpoint()
                .endDaemonEndpoints()
                .withNewNodeInfo()
                .withArchitecture("amd64")
                .withOperatingSystem("linux")
                .withKubeletVersion(kubeletVersion())
                .withKubeProxyVersion(kubeletVersion())
                .withContainerRuntimeVersion("quartet-sim://1")
                .withKernelVersion("simulated")
                .withOsImage("Quartet simulated GPU node")
                .withMachineID(name)
                .withSystemUUID(name)
                .withBootID(name)
                .endNodeInfo()
                .endStatus()
                .build();
        Node created = client.nodes().resource(node).create();
        patchStatus(name, Map.of("conditions", conditions(ready, "registered")));
        return created.getMetadata().getUid();
    }

    /** Sets (or, for null values, removes) node labels. */
    void patchLabels(String name, Map<String, String> labels) {
        patch(name, Map.of("metadata", Map.of("labels", labels)), false);
    }

    /** Sets the device plugin's extended resources (null values remove them) in capacity and allocatable. */
    void patchResources(String name, Map<String, Integer> resources) {
        Map<String, Object> quantities = new LinkedHashMap<>();
        resources.forEach((k, v) -> quantities.put(k, v == null ? null : Integer.toString(v)));
        patchStatus(name, Map.of("capacity", quantities, "allocatable", quantities));
    }

    /** Sets only the allocatable of these extended resources (null values remove them); capacity stays. */
    void patchAllocatable(String name, Map<String, Integer> resources) {
        Map<String, Object> quantities = new LinkedHashMap<>();
        resources.forEach((k, v) -> quantities.put(k, v == null ? null : Integer.toString(v)));
        patchStatus(name, Map.of("allocatable", quantities));
    }

    /** A kubelet started after a reboot reports the machine's new boot ID. */
    void patchBootId(String name, String bootId) {
        patchStatus(name, Map.of("nodeInfo", Map.of("bootID", bootId)));
    }

    /** Reports the kubelet's Ready condition (and the usual pressure conditions). */
    void patchReady(String name, boolean ready, String why) {
        patchStatus(name, Map.of("conditions", conditions(ready, why)));
    }

    private void patchStatus(String name, Map<String, Object> status) {
        patch(name, Map.of("status", status), true);
    }

    private void patch(String name, Map<String, Object> body, boolean status) {
        String json = Json.write(body);
        var resource = client.nodes().withName(name);
        if (status) {
            resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), json);
        } else {
            resource.patch(PatchContext.of(PatchType.JSON_MERGE), json);
        }
    }

    private static List<Map<String, Object>> conditions(boolean ready, String why) {
        String now = now();
        List<Map<String, Object>> conditions = new java.util.ArrayList<>();
        Map<String, String> pressure = Map.of(
                "MemoryPressure",
                "KubeletHasSufficientMemory",
                "DiskPressure",
                "KubeletHasNoDiskPressure",
                "PIDPressure",
                "KubeletHasSufficientPID");
        for (String type : List.of("MemoryPressure", "DiskPressure", "PIDPressure")) {
            conditions.add(condition(type, "False", pressure.get(type), "simulated kubelet has no " + type, now));
        }
        conditions.add(
                ready
                        ? condition("Ready", "True", "KubeletReady", "simulated kubelet is posting ready status", now)
                        : condition("Ready", "False", "KubeletNotReady", "simulated kubelet not ready: " + why, now));
        return conditions;
    }

    private static Map<String, Object> condition(
            String type, String status, String reason, String message, String now) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type);
        c.put("status", status);
        c.put("reason", reason);
        c.put("message", message);
        c.put("lastHeartbeatTime", now);
        c.put("lastTransitionTime", now);
        return c;
    }

    /** Creates or renews the node's Lease in {@code kube-node-lease}, the heartbeat the node lifecycle controller reads. */
    void renewLease(String name, String nodeUid) {
        String renew = MICRO.format(Instant.now());
        try {
            String json = Json.write(Map.of(
                    "spec", Map.of("renewTime", renew, "holderIdentity", name, "leaseDurationSeconds", LEASE_SECONDS)));
            client.leases()
                    .inNamespace(LEASE_NAMESPACE)
                    .withName(name)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), json);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
            Lease lease = new LeaseBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(LEASE_NAMESPACE)
                    .addNewOwnerReference()
                    .withApiVersion("v1")
                    .withKind("Node")
                    .withName(name)
                    .withUid(nodeUid)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity(name)
                    .withLeaseDurationSeconds(LEASE_SECONDS)
                    .withRenewTime(java.time.ZonedDateTime.now(ZoneOffset.UTC))
                    .endSpec()
                    .build();
            try {
                client.leases().inNamespace(LEASE_NAMESPACE).resource(lease).create();
            } catch (KubernetesClientException raced) {
                // registration and the heartbeat thread both found no Lease and both created one (or a timed-out
                // create was retried): the Lease exists with a fresh renewTime either way
                if (raced.getCode() != 409) {
                    throw raced;
                }
            }
        }
    }

    /** Deletes the node and its lease. */
    void delete(String name) {
        client.nodes().withName(name).withGracePeriod(0).delete();
        client.leases().inNamespace(LEASE_NAMESPACE).withName(name).delete();
    }
}
