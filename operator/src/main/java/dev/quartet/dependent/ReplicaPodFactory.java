package dev.quartet.dependent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.BatchingSpec;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.nvidia.NvidiaLabels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the pod of one replica: the worker container asking for exactly one MIG slice of the planned profile,
 * pinned to the planned node by required node affinity, configured through the worker's environment.
 */
public final class ReplicaPodFactory {

    public static final String CONTAINER = "worker";
    public static final String PORT_NAME = "http";
    /** The name of the worker's gRPC port (OIP v2 over gRPC), in the pod and the Service. */
    public static final String GRPC_PORT_NAME = "grpc";
    /**
     * The worker's environment variables Quartet sets from the spec, with the field each comes from; a user may
     * set any other worker variable through spec.worker.env.
     */
    public static final Map<String, String> DERIVED_ENV = Map.ofEntries(
            Map.entry("QUARTET_MODEL_URI", "spec.model.uri"),
            Map.entry("QUARTET_MODEL_NAME", "spec.model.name"),
            Map.entry("QUARTET_MODEL_FORMAT", "spec.model.format"),
            Map.entry("QUARTET_MODEL_SHA256", "spec.model.sha256"),
            Map.entry("QUARTET_MODEL_SIGNATURE", "spec.model.signature"),
            Map.entry("QUARTET_BATCHING_MAX_BATCH_SIZE", "spec.batching.maxBatchSize"),
            Map.entry("QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS", "spec.batching.maxBatchDelayMillis"),
            Map.entry("QUARTET_BATCHING_QUEUE_LIMIT", "spec.batching.queueLimit"),
            Map.entry("QUARTET_ENGINE_ALLOW_CPU_FALLBACK", "spec.worker.allowCpuFallback"),
            Map.entry("QUARTET_REPLICA_DEPLOYMENT", "metadata.name"),
            Map.entry("QUARTET_REPLICA_MIG_PROFILE", "spec.slice"));

    static final String MODEL_MOUNT = "/mnt/models";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final QuartetConfig.Worker config;

    public ReplicaPodFactory(QuartetConfig.Worker config) {
        this.config = config;
    }

    /** The replica pod {@code <name>-<ordinal>} for {@code node}, asking for one slice of {@code profile}. */
    public Pod desired(InferenceDeployment d, String profile, String node, int ordinal) {
        PodSpec spec = new PodSpecBuilder(podSpec(d, profile))
                .withNewAffinity()
                .withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm()
                .addNewMatchField()
                .withKey("metadata.name")
                .withOperator("In")
                .withValues(node)
                .endMatchField()
                .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .endAffinity()
                .build();
        Map<String, String> labels = selectorLabels(d);
        labels.put(QuartetLabels.APP_NAME, QuartetLabels.APP_NAME_VALUE);
        labels.put(QuartetLabels.INSTANCE, d.getMetadata().getName());
        labels.put(QuartetLabels.TEMPLATE_HASH, templateHash(d, profile));
        labels.put(QuartetLabels.PROFILE, profile.replace('+', '.'));
        return new PodBuilder()
                .withNewMetadata()
                .withName(podName(d, ordinal))
                .withNamespace(d.getMetadata().getNamespace())
                .withLabels(labels)
                .addToAnnotations(QuartetLabels.PLANNED_NODE, node)
                .addNewOwnerReference()
                .withApiVersion(d.getApiVersion())
                .withKind(d.getKind())
                .withName(d.getMetadata().getName())
                .withUid(d.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .endOwnerReference()
                .endMetadata()
                .withSpec(spec)
                .build();
    }

    /**
     * The replica pod for a node of NVIDIA's DRA driver: the same pod (and template hash), but its slice comes from
     * the ResourceClaim {@link ReplicaClaimFactory#claimName} instead of a {@code nvidia.com/mig-*} resource, and it
     * starts behind the scheduling gate {@link QuartetLabels#CLAIM_GATE}: the scheduler does not see it until Quartet
     * has written the claim's allocation to {@code device}, the planned placement.
     */
    public Pod desiredOnDra(InferenceDeployment d, String profile, String node, int ordinal, String device) {
        Pod pod = desired(d, profile, node, ordinal);
        pod.getMetadata().getAnnotations().put(QuartetLabels.PLANNED_DEVICE, device);
        String claim = ReplicaClaimFactory.claimName(pod.getMetadata().getName());
        pod.getSpec()
                .setResourceClaims(List.of(new io.fabric8.kubernetes.api.model.PodResourceClaimBuilder()
                        .withName(ReplicaClaimFactory.REQUEST)
                        .withResourceClaimName(claim)
                        .build()));
        pod.getSpec()
                .setSchedulingGates(
                        List.of(new io.fabric8.kubernetes.api.model.PodSchedulingGate(QuartetLabels.CLAIM_GATE)));
        for (Container c : pod.getSpec().getContainers()) {
            if (CONTAINER.equals(c.getName())) {
                ResourceRequirements r = c.getResources();
                Map<String, Quantity> limits = new LinkedHashMap<>(r.getLimits());
                limits.remove(NvidiaLabels.resourceName(profile));
                r.setLimits(limits.isEmpty() ? null : limits);
                r.setClaims(
                        List.of(new io.fabric8.kubernetes.api.model.ResourceClaim(ReplicaClaimFactory.REQUEST, null)));
            }
        }
        return pod;
    }

    public static String podName(InferenceDeployment d, int ordinal) {
        return d.getMetadata().getName() + "-" + ordinal;
    }

    /** Name, namespace and selector labels of a child object named after the deployment (Service, budget). */
    public static io.fabric8.kubernetes.api.model.ObjectMeta childMetadata(InferenceDeployment d) {
        return new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName(d.getMetadata().getName())
                .withNamespace(d.getMetadata().getNamespace())
                .withLabels(selectorLabels(d))
                .build();
    }

    /** Labels that select exactly this deployment's replica pods (Service, budget, scale subresource). */
    public static Map<String, String> selectorLabels(InferenceDeployment d) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(QuartetLabels.MANAGED_BY, QuartetLabels.MANAGED_BY_VALUE);
        labels.put(QuartetLabels.DEPLOYMENT, d.getMetadata().getName());
        return labels;
    }

    /** A hash of everything in the pod that a change of spec should roll out (not node, name or replicas). */
    public String templateHash(InferenceDeployment d, String profile) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(JSON.writeValueAsString(podSpec(d, profile)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 5);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private PodSpec podSpec(InferenceDeployment d, String profile) {
        InferenceDeploymentSpec s = d.getSpec();
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        volumes.add(new VolumeBuilder()
                .withName("tmp")
                .withNewEmptyDir()
                .endEmptyDir()
                .build());
        mounts.add(
                new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
        String modelUri = s.getModel().getUri();
        if (modelUri.startsWith("pvc://")) {
            URI uri = URI.create(modelUri);
            volumes.add(new VolumeBuilder()
                    .withName("model")
                    .withNewPersistentVolumeClaim()
                    .withClaimName(uri.getAuthority())
                    .withReadOnly(true)
                    .endPersistentVolumeClaim()
                    .build());
            mounts.add(new VolumeMountBuilder()
                    .withName("model")
                    .withMountPath(MODEL_MOUNT + "/" + uri.getAuthority())
                    .withReadOnly(true)
                    .build());
            modelUri = fileUri(MODEL_MOUNT + "/" + uri.getAuthority() + uri.getPath());
        }
        return new PodSpecBuilder()
                .withEnableServiceLinks(false)
                .withAutomountServiceAccountToken(false)
                .withTerminationGracePeriodSeconds(30L)
                .withNodeSelector(
                        s.getWorker() == null || s.getWorker().getNodeSelector().isEmpty()
                                ? null
                                : s.getWorker().getNodeSelector())
                .withTolerations(
                        s.getWorker() == null ? List.of() : s.getWorker().getTolerations())
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .withContainers(container(d, profile, modelUri, mounts))
                .withVolumes(volumes)
                .build();
    }

    private Container container(InferenceDeployment d, String profile, String modelUri, List<VolumeMount> mounts) {
        InferenceDeploymentSpec s = d.getSpec();
        String image = s.getWorker() != null && s.getWorker().getImage() != null
                ? s.getWorker().getImage()
                : config.image();
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(image)
                .withImagePullPolicy(config.imagePullPolicy())
                .withEnv(env(d, modelUri, profile))
                .addNewPort()
                .withName(PORT_NAME)
                .withContainerPort(config.port())
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName(GRPC_PORT_NAME)
                .withContainerPort(config.grpcPort())
                .withProtocol("TCP")
                .endPort()
                // A worker that stops says why in /dev/termination-log (the pod's lastState shows it, Quartet's status
                // quotes it); any other crash leaves the end of its log there instead.
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withResources(resources(s, profile))
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/q/health/ready")
                .withNewPort(PORT_NAME)
                .endHttpGet()
                .withPeriodSeconds(5)
                .withFailureThreshold(3)
                .endReadinessProbe()
                .withNewLivenessProbe()
                .withNewHttpGet()
                .withPath("/q/health/live")
                .withNewPort(PORT_NAME)
                .endHttpGet()
                .withPeriodSeconds(10)
                .withFailureThreshold(6)
                .endLivenessProbe()
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .withVolumeMounts(mounts)
                .build();
    }

    private List<EnvVar> env(InferenceDeployment d, String modelUri, String profile) {
        InferenceDeploymentSpec s = d.getSpec();
        BatchingSpec b = s.getBatching() == null ? new BatchingSpec() : s.getBatching();
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("QUARTET_MODEL_URI", modelUri, null));
        env.add(new EnvVar(
                "QUARTET_MODEL_NAME",
                s.getModel().getName() == null
                        ? d.getMetadata().getName()
                        : s.getModel().getName(),
                null));
        env.add(new EnvVar("QUARTET_MODEL_FORMAT", s.getModel().getFormat().value(), null));
        if (s.getModel().getSha256() != null) {
            env.add(new EnvVar("QUARTET_MODEL_SHA256", s.getModel().getSha256(), null));
        }
        if (s.getModel().getSignature() != null) {
            env.add(new EnvVar(
                    "QUARTET_MODEL_SIGNATURE", signatureJson(s.getModel().getSignature()), null));
        }
        env.add(new EnvVar("QUARTET_BATCHING_MAX_BATCH_SIZE", String.valueOf(b.getMaxBatchSize()), null));
        env.add(new EnvVar(
                "QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS", String.valueOf(b.getMaxBatchDelayMillis()), null));
        env.add(new EnvVar("QUARTET_BATCHING_QUEUE_LIMIT", String.valueOf(b.getQueueLimit()), null));
        env.add(new EnvVar(
                "QUARTET_ENGINE_ALLOW_CPU_FALLBACK",
                String.valueOf(s.getWorker() != null
                        && Boolean.TRUE.equals(s.getWorker().getAllowCpuFallback())),
                null));
        env.add(new EnvVar("QUARTET_REPLICA_DEPLOYMENT", d.getMetadata().getName(), null));
        env.add(new EnvVar("QUARTET_REPLICA_MIG_PROFILE", profile, null));
        env.add(new EnvVar("QUARKUS_HTTP_PORT", String.valueOf(config.port()), null));
        env.add(new EnvVar("QUARKUS_GRPC_SERVER_PORT", String.valueOf(config.grpcPort()), null));
        if (s.getWorker() != null && s.getWorker().getEnv() != null) {
            env.addAll(s.getWorker().getEnv());
        }
        return env;
    }

    /** The signature as the worker reads QUARTET_MODEL_SIGNATURE: OIP metadata JSON, absent lists left out. */
    static String signatureJson(dev.quartet.model.ModelSignature signature) {
        try {
            return JSON.writeValueAsString(signature);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ResourceRequirements resources(InferenceDeploymentSpec s, String profile) {
        Map<String, Quantity> limits = new LinkedHashMap<>();
        Map<String, Quantity> requests = new LinkedHashMap<>();
        ResourceRequirements user = s.getWorker() == null ? null : s.getWorker().getResources();
        if (user != null && user.getLimits() != null) {
            limits.putAll(user.getLimits());
        }
        if (user != null && user.getRequests() != null) {
            requests.putAll(user.getRequests());
        }
        limits.put(NvidiaLabels.resourceName(profile), new Quantity("1"));
        return new ResourceRequirements(null, limits, requests.isEmpty() ? null : requests);
    }

    /** A file URI for a path, quoting what a URI cannot hold ({@code pvc://c/my%20model.onnx}'s decoded space). */
    static String fileUri(String path) {
        try {
            return new URI("file", "", path, null, null).toASCIIString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("model path " + path + " cannot be a file URI: " + e.getMessage(), e);
        }
    }
}
