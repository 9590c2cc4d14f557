package dev.quartet.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.ModelFormat;
import dev.quartet.model.ModelSignature;
import dev.quartet.model.TensorDescription;
import dev.quartet.model.TestDeployments;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ReplicaPodFactoryTest {

    private static final QuartetConfig.Worker WORKER = new QuartetConfig.Worker() {
        @Override
        public String image() {
            return "ghcr.io/quartet-dev/quartet-worker:0.1.0";
        }

        @Override
        public int port() {
            return 8080;
        }

        @Override
        public int grpcPort() {
            return 8081;
        }

        @Override
        public String imagePullPolicy() {
            return "IfNotPresent";
        }
    };

    private final ReplicaPodFactory factory = new ReplicaPodFactory(WORKER);

    private static InferenceDeployment deployment() {
        InferenceDeploymentSpec spec = TestDeployments.spec("1g.6gb", 2);
        InferenceDeployment d = new InferenceDeployment();
        d.setMetadata(new ObjectMetaBuilder()
                .withName("resnet")
                .withNamespace("ml")
                .withUid("uid-1")
                .withGeneration(1L)
                .build());
        d.setSpec(spec);
        return d;
    }

    private static InferenceDeployment deployment(Consumer<InferenceDeploymentSpec> change) {
        InferenceDeployment d = deployment();
        change.accept(d.getSpec());
        return d;
    }

    private static Container worker(Pod pod) {
        assertThat(pod.getSpec().getContainers()).hasSize(1);
        return pod.getSpec().getContainers().get(0);
    }

    private static Map<String, String> env(Pod pod) {
        return worker(pod).getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    private static Map<String, Quantity> nvidia(Map<String, Quantity> resources) {
        return resources == null
                ? Map.of()
                : resources.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("nvidia.com/"))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Test
    void thePodAsksForExactlyOneSliceOfItsProfile() {
        Pod pod = factory.desired(deployment(), "2g.12gb", "gpu-1", 0);

        assertThat(nvidia(worker(pod).getResources().getLimits()))
                .containsExactly(entry("nvidia.com/mig-2g.12gb", new Quantity("1")));
        assertThat(nvidia(worker(pod).getResources().getRequests())).isEmpty();
        assertThat(pod.getSpec().getInitContainers()).isNullOrEmpty();
    }

    @Test
    void aMediaExtensionProfileIsAskedForWithADot() {
        Pod pod = factory.desired(deployment(), "1g.6gb+me", "gpu-1", 0);

        assertThat(nvidia(worker(pod).getResources().getLimits()))
                .containsExactly(entry("nvidia.com/mig-1g.6gb.me", new Quantity("1")));
        assertThat(pod.getMetadata().getLabels()).containsEntry(QuartetLabels.PROFILE, "1g.6gb.me");
    }

    @Test
    void theUsersCpuAndMemoryAreKeptNextToTheSlice() {
        InferenceDeployment d = deployment(s -> s.getWorker()
                .setResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("500m"))
                        .addToRequests("memory", new Quantity("1Gi"))
                        .addToLimits("memory", new Quantity("2Gi"))
                        .build()));

        Pod pod = factory.desired(d, "1g.6gb", "gpu-1", 0);

        assertThat(worker(pod).getResources().getLimits())
                .containsOnly(entry("memory", new Quantity("2Gi")), entry("nvidia.com/mig-1g.6gb", new Quantity("1")));
        assertThat(worker(pod).getResources().getRequests())
                .containsOnly(entry("cpu", new Quantity("500m")), entry("memory", new Quantity("1Gi")));
        assertThat(d.getSpec().getWorker().getResources().getLimits()).doesNotContainKey("nvidia.com/mig-1g.6gb");
    }

    @Test
    void thePodIsPinnedToThePlannedNodeByRequiredAffinityOnItsName() {
        Pod pod = factory.desired(deployment(), "1g.6gb", "gpu-7", 3);

        List<NodeSelectorTerm> terms = pod.getSpec()
                .getAffinity()
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
        assertThat(terms).hasSize(1);
        assertThat(terms.get(0).getMatchExpressions()).isNullOrEmpty();
        assertThat(terms.get(0).getMatchFields())
                .extracting(
                        NodeSelectorRequirement::getKey,
                        NodeSelectorRequirement::getOperator,
                        NodeSelectorRequirement::getValues)
                .containsExactly(tuple("metadata.name", "In", List.of("gpu-7")));
        assertThat(pod.getSpec().getNodeName()).isNull();
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(QuartetLabels.PLANNED_NODE, "gpu-7");
    }

    @Test
    void thePodIsNamedByOrdinalAndOwnedByItsDeployment() {
        Pod pod = factory.desired(deployment(), "1g.6gb", "gpu-1", 3);

        assertThat(pod.getMetadata().getName()).isEqualTo("resnet-3");
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("ml");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("InferenceDeployment");
            assertThat(o.getApiVersion()).isEqualTo("inference.quartet.dev/v1alpha1");
            assertThat(o.getName()).isEqualTo("resnet");
            assertThat(o.getUid()).isEqualTo("uid-1");
            assertThat(o.getController()).isTrue();
        });
        assertThat(pod.getMetadata().getLabels())
                .containsAllEntriesOf(ReplicaPodFactory.selectorLabels(deployment()))
                .containsEntry(QuartetLabels.TEMPLATE_HASH, factory.templateHash(deployment(), "1g.6gb"));
    }

    @Test
    void theWorkerRunsUnderARestrictedSecurityContext() {
        Pod pod = factory.desired(deployment(), "1g.6gb", "gpu-1", 0);

        assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
                .isEqualTo("RuntimeDefault");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        SecurityContext container = worker(pod).getSecurityContext();
        assertThat(container.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getRunAsNonRoot()).isTrue();
        assertThat(container.getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(container.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(worker(pod).getVolumeMounts())
                .extracting(VolumeMount::getMountPath)
                .contains("/tmp");
    }

    @Test
    void theWorkerIsConfiguredFromTheSpec() {
        InferenceDeployment d = deployment(s -> {
            s.getModel().setName("resnet50");
            s.getModel().setFormat(ModelFormat.TORCHSCRIPT);
            s.getModel().setSha256("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
            s.getBatching().setMaxBatchSize(16);
            s.getBatching().setMaxBatchDelayMillis(2);
            s.getBatching().setQueueLimit(64);
            s.getWorker().setEnv(List.of(new EnvVar("OMP_NUM_THREADS", "2", null)));
            s.getWorker().setAllowCpuFallback(true);
            TensorDescription image = new TensorDescription();
            image.setName("image");
            image.setDatatype("FP32");
            image.setShape(List.of(-1L, 3L, 224L, 224L));
            ModelSignature signature = new ModelSignature();
            signature.setInputs(List.of(image));
            s.getModel().setSignature(signature);
        });

        Pod pod = factory.desired(d, "1g.6gb", "gpu-1", 0);

        assertThat(env(pod))
                .containsOnly(
                        entry("QUARTET_MODEL_URI", "file:///models/tiny-resnet.onnx"),
                        entry("QUARTET_MODEL_NAME", "resnet50"),
                        entry("QUARTET_MODEL_FORMAT", "torchscript"),
                        entry(
                                "QUARTET_MODEL_SHA256",
                                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                        entry("QUARTET_BATCHING_MAX_BATCH_SIZE", "16"),
                        entry("QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS", "2"),
                        entry("QUARTET_BATCHING_QUEUE_LIMIT", "64"),
                        entry(
                                "QUARTET_MODEL_SIGNATURE",
                                "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"FP32\",\"shape\":[-1,3,224,224]}]}"),
                        entry("QUARTET_ENGINE_ALLOW_CPU_FALLBACK", "true"),
                        entry("QUARTET_REPLICA_DEPLOYMENT", "resnet"),
                        entry("QUARTET_REPLICA_MIG_PROFILE", "1g.6gb"),
                        entry("QUARKUS_HTTP_PORT", "8080"),
                        entry("QUARKUS_GRPC_SERVER_PORT", "8081"),
                        entry("OMP_NUM_THREADS", "2"));
        assertThat(worker(pod).getPorts())
                .extracting(p -> p.getName() + ":" + p.getContainerPort())
                .containsExactly("http:8080", "grpc:8081");
        assertThat(worker(pod).getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
        assertThat(worker(pod).getImage()).isEqualTo("ghcr.io/quartet-dev/quartet-worker:0.1.0");
    }

    @Test
    void defaultsApplyWhenTheSpecLeavesThemOut() {
        Pod pod = factory.desired(deployment(), "1g.6gb", "gpu-1", 0);

        assertThat(env(pod))
                .containsEntry("QUARTET_MODEL_NAME", "resnet")
                .containsEntry("QUARTET_MODEL_FORMAT", "onnx")
                .containsEntry("QUARTET_BATCHING_MAX_BATCH_SIZE", "8")
                .containsEntry("QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS", "5")
                .containsEntry("QUARTET_BATCHING_QUEUE_LIMIT", "256")
                .containsEntry("QUARTET_ENGINE_ALLOW_CPU_FALLBACK", "false")
                .doesNotContainKey("QUARTET_MODEL_SHA256")
                .doesNotContainKey("QUARTET_MODEL_SIGNATURE");
        assertThat(pod.getSpec().getVolumes()).extracting(Volume::getName).containsExactly("tmp");
    }

    @Test
    void aPvcModelIsMountedReadOnlyAndPassedAsAFileUri() {
        InferenceDeployment d = deployment(s -> s.getModel().setUri("pvc://model-store/team-a/resnet50.onnx"));

        Pod pod = factory.desired(d, "1g.6gb", "gpu-1", 0);

        assertThat(env(pod)).containsEntry("QUARTET_MODEL_URI", "file:///mnt/models/model-store/team-a/resnet50.onnx");
        Volume model = pod.getSpec().getVolumes().stream()
                .filter(v -> v.getPersistentVolumeClaim() != null)
                .findFirst()
                .orElseThrow();
        assertThat(model.getPersistentVolumeClaim().getClaimName()).isEqualTo("model-store");
        assertThat(model.getPersistentVolumeClaim().getReadOnly()).isTrue();
        VolumeMount mount = worker(pod).getVolumeMounts().stream()
                .filter(m -> m.getName().equals(model.getName()))
                .findFirst()
                .orElseThrow();
        assertThat(mount.getMountPath()).isEqualTo("/mnt/models/model-store");
        assertThat(mount.getReadOnly()).isTrue();
    }

    @Test
    void aPvcPathWithQuotedCharactersStaysAUriTheWorkerCanOpen() {
        InferenceDeployment d = deployment(s -> s.getModel().setUri("pvc://model-store/team%20a/res%23net%3F.onnx"));

        String uri = env(factory.desired(d, "1g.6gb", "gpu-1", 0)).get("QUARTET_MODEL_URI");

        assertThat(uri).isEqualTo("file:///mnt/models/model-store/team%20a/res%23net%3F.onnx");
        assertThat(java.nio.file.Path.of(java.net.URI.create(uri)))
                .isEqualTo(java.nio.file.Path.of("/mnt/models/model-store/team a/res#net?.onnx"));
    }

    @Test
    void theSchedulingConstraintsOfTheSpecAreKept() {
        InferenceDeployment d = deployment(s -> {
            s.getWorker().setNodeSelector(Map.of("pool", "inference"));
            s.getWorker()
                    .setTolerations(List.of(new TolerationBuilder()
                            .withKey("dedicated")
                            .withOperator("Equal")
                            .withValue("ml")
                            .withEffect("NoSchedule")
                            .build()));
            s.getWorker().setImage("registry.example/worker:2");
        });

        Pod pod = factory.desired(d, "1g.6gb", "gpu-1", 0);

        assertThat(pod.getSpec().getNodeSelector()).containsOnly(entry("pool", "inference"));
        assertThat(pod.getSpec().getTolerations())
                .singleElement()
                .satisfies(t -> assertThat(t.getKey()).isEqualTo("dedicated"));
        assertThat(worker(pod).getImage()).isEqualTo("registry.example/worker:2");
    }

    @Test
    void theTemplateHashIgnoresReplicasPriorityNodeAndOrdinal() {
        String hash = factory.templateHash(deployment(), "1g.6gb");

        assertThat(hash).matches("[0-9a-f]{10}");
        assertThat(factory.templateHash(deployment(s -> s.setReplicas(7)), "1g.6gb"))
                .isEqualTo(hash);
        assertThat(factory.templateHash(deployment(s -> s.setPriority(500)), "1g.6gb"))
                .isEqualTo(hash);
        assertThat(factory.templateHash(deployment(s -> s.setMovable(true)), "1g.6gb"))
                .isEqualTo(hash);
        assertThat(factory.templateHash(deployment(s -> s.setMaxUnavailable(0)), "1g.6gb"))
                .isEqualTo(hash);
        assertThat(factory.desired(deployment(), "1g.6gb", "gpu-2", 5)
                        .getMetadata()
                        .getLabels())
                .containsEntry(QuartetLabels.TEMPLATE_HASH, hash);
    }

    @Test
    void theTemplateHashChangesWithWhatTheReplicasRun() {
        String hash = factory.templateHash(deployment(), "1g.6gb");

        assertThat(factory.templateHash(deployment(s -> s.getWorker().setImage("registry.example/worker:2")), "1g.6gb"))
                .isNotEqualTo(hash);
        assertThat(factory.templateHash(
                        deployment(s -> s.getModel().setUri("file:///models/resnet101.onnx")), "1g.6gb"))
                .isNotEqualTo(hash);
        assertThat(factory.templateHash(deployment(s -> s.getModel().setFormat(ModelFormat.TORCHSCRIPT)), "1g.6gb"))
                .isNotEqualTo(hash);
        assertThat(factory.templateHash(
                        deployment(s -> s.getModel()
                                .setSha256("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
                        "1g.6gb"))
                .isNotEqualTo(hash);
        assertThat(factory.templateHash(deployment(s -> s.getBatching().setMaxBatchSize(32)), "1g.6gb"))
                .isNotEqualTo(hash);
        assertThat(factory.templateHash(deployment(), "2g.12gb")).isNotEqualTo(hash);
    }

    @Test
    void theTemplateHashIsStable() {
        assertThat(factory.templateHash(deployment(), "1g.6gb"))
                .isEqualTo(new ReplicaPodFactory(WORKER).templateHash(deployment(), "1g.6gb"));
    }

    @Test
    void onADraNodeTheSliceComesFromTheReplicasClaimBehindAGate() {
        InferenceDeployment d = deployment();
        Pod pod = factory.desiredOnDra(d, "1g.6gb", "dra-1", 0, "gpu-1-mig-1g6gb-14-3");

        assertThat(worker(pod).getResources().getLimits())
                .as("no nvidia.com resource")
                .isNull();
        assertThat(worker(pod).getResources().getClaims())
                .extracting(c -> c.getName())
                .containsExactly(ReplicaClaimFactory.REQUEST);
        assertThat(pod.getSpec().getResourceClaims()).singleElement().satisfies(c -> {
            assertThat(c.getName()).isEqualTo(ReplicaClaimFactory.REQUEST);
            assertThat(c.getResourceClaimName()).isEqualTo("resnet-0-mig");
        });
        assertThat(pod.getSpec().getSchedulingGates())
                .extracting(g -> g.getName())
                .containsExactly(QuartetLabels.CLAIM_GATE);
        assertThat(pod.getMetadata().getAnnotations())
                .containsEntry(QuartetLabels.PLANNED_DEVICE, "gpu-1-mig-1g6gb-14-3")
                .containsEntry(QuartetLabels.PLANNED_NODE, "dra-1");
        // the same template as on a MIG Manager node: a replica moved between backends is not a rollout
        assertThat(pod.getMetadata().getLabels().get(QuartetLabels.TEMPLATE_HASH))
                .isEqualTo(factory.desired(d, "1g.6gb", "mm-1", 0)
                        .getMetadata()
                        .getLabels()
                        .get(QuartetLabels.TEMPLATE_HASH));
    }

    @Test
    void aReplicasClaimPinsGpuAndProfileAndIsOwnedByItsPod() {
        Pod pod = factory.desiredOnDra(deployment(), "2g.12gb", "dra-1", 3, "gpu-0-mig-2g12gb-5-2");
        pod.getMetadata().setUid("pod-uid");

        var claim = ReplicaClaimFactory.desired(pod, "resnet", "GPU-1234", "2g.12gb");

        assertThat(claim.getMetadata().getName()).isEqualTo("resnet-3-mig");
        assertThat(claim.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("Pod");
            assertThat(o.getUid()).isEqualTo("pod-uid");
            assertThat(o.getController()).isTrue();
        });
        assertThat(claim.getMetadata().getLabels()).containsEntry(QuartetLabels.REPLICA, "resnet-3");
        var request = claim.getSpec().getDevices().getRequests().get(0).getExactly();
        assertThat(request.getDeviceClassName()).isEqualTo("mig.nvidia.com");
        assertThat(request.getSelectors().get(0).getCel().getExpression())
                .isEqualTo("device.attributes['gpu.nvidia.com'].parentUUID == 'GPU-1234' && "
                        + "device.attributes['gpu.nvidia.com'].profile == '2g.12gb'");
    }
}
