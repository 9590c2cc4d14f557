package dev.quartet.reconciler;

import dev.quartet.config.QuartetConfig;
import dev.quartet.inventory.AgentReports;
import dev.quartet.inventory.GpuNode;
import dev.quartet.inventory.InventoryBuilder;
import dev.quartet.inventory.PodFacts;
import dev.quartet.inventory.QuartetLabels;
import dev.quartet.model.InferenceDeployment;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The informers planning reads, with the mapping from their events to the InferenceDeployments to wake: a
 * replica pod wakes its owner; anything that changes shared capacity (a node's MIG labels, slices, readiness
 * or taints; another tenant's GPU pod; MIG Manager's ConfigMap) wakes every deployment.
 */
final class ClusterEventSources {

    private final InformerEventSource<Pod, InferenceDeployment> pods;
    private final InformerEventSource<Node, InferenceDeployment> nodes;
    private final InformerEventSource<ConfigMap, InferenceDeployment> migConfig;
    private final InformerEventSource<ResourceSlice, InferenceDeployment> resourceSlices;
    private final InformerEventSource<ResourceClaim, InferenceDeployment> resourceClaims;
    private final PlanEventSource planEvents = new PlanEventSource();
    private final InformerEventSource<HorizontalPodAutoscaler, InferenceDeployment> autoscalers;

    ClusterEventSources(
            EventSourceContext<InferenceDeployment> context,
            QuartetConfig.MigManager mig,
            java.util.function.Function<String, Optional<Set<String>>> concernedByNode,
            AgentReports agentReports) {
        SecondaryToPrimaryMapper<HasMetadata> everyone = r -> allDeployments(context);
        pods = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Pod.class, InferenceDeployment.class)
                        .withName("pods")
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper(pod -> {
                            String owner = InventoryBuilder.deploymentOf(pod);
                            if (owner != null) {
                                int slash = owner.indexOf('/');
                                return Set.of(new ResourceID(owner.substring(slash + 1), owner.substring(0, slash)));
                            }
                            if (agentReports.isAgentPod(pod) && PodFacts.isBound(pod)) {
                                // a node agent started or stopped: whether its node's report is taken changes
                                return concernedBy(PodFacts.node(pod), concernedByNode, context);
                            }
                            return PodFacts.isBound(pod) && PodFacts.usesNvidiaResources(pod)
                                    ? allDeployments(context)
                                    : Set.of();
                        })
                        .withOnUpdateFilter((now, before) -> podChangeMatters(now, before)
                                || (agentReports.isAgentPod(now) && agentPodChangeMatters(now, before)))
                        .withItemStore(new WithoutManagedFieldsStore<>())
                        .build(),
                context);
        nodes = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Node.class, InferenceDeployment.class)
                        .withName("nodes")
                        .withSecondaryToPrimaryMapper(
                                node -> concernedBy(node.getMetadata().getName(), concernedByNode, context))
                        .withOnUpdateFilter(ClusterEventSources::nodeChangeMatters)
                        .withItemStore(new WithoutManagedFieldsStore<>())
                        .build(),
                context);
        migConfig = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(ConfigMap.class, InferenceDeployment.class)
                        .withName("mig-parted-config")
                        .withNamespaces(Set.of(mig.namespace()))
                        .withFieldSelector(new FieldSelector(
                                List.of(new FieldSelector.Field("metadata.name", mig.configMapName()))))
                        .withSecondaryToPrimaryMapper(everyone::toPrimaryResourceIDs)
                        .build(),
                context);
        autoscalers = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(HorizontalPodAutoscaler.class, InferenceDeployment.class)
                        .withName("horizontalpodautoscalers")
                        .withSecondaryToPrimaryMapper(hpa -> {
                            String target = targetOf(hpa);
                            return target == null
                                    ? Set.of()
                                    : Set.of(new ResourceID(
                                            target, hpa.getMetadata().getNamespace()));
                        })
                        .build(),
                context);
        // NVIDIA's DRA driver: its slices say which nodes and GPUs there are, the claims which placements are taken
        resourceSlices = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(ResourceSlice.class, InferenceDeployment.class)
                        .withName("resourceslices")
                        .withSecondaryToPrimaryMapper(everyone::toPrimaryResourceIDs)
                        .build(),
                context);
        resourceClaims = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(ResourceClaim.class, InferenceDeployment.class)
                        .withName("resourceclaims")
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper(claim -> {
                            Map<String, String> labels = claim.getMetadata().getLabels();
                            if (labels != null
                                    && QuartetLabels.MANAGED_BY_VALUE.equals(labels.get(QuartetLabels.MANAGED_BY))
                                    && labels.get(QuartetLabels.DEPLOYMENT) != null) {
                                return Set.of(new ResourceID(
                                        labels.get(QuartetLabels.DEPLOYMENT),
                                        claim.getMetadata().getNamespace()));
                            }
                            return allDeployments(context);
                        })
                        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getStatus(), before.getStatus())
                                || !Objects.equals(
                                        now.getMetadata().getDeletionTimestamp(),
                                        before.getMetadata().getDeletionTimestamp()))
                        .build(),
                context);
    }

    /**
     * HorizontalPodAutoscalers in the watched namespaces; one whose scaleTargetRef is an InferenceDeployment wakes
     * it (with spec.autoscaling, the two would both scale it: {@code AutoscalingConflict}).
     */
    InformerEventSource<HorizontalPodAutoscaler, InferenceDeployment> autoscalers() {
        return autoscalers;
    }

    /** The name of the target of {@code hpa} when that is an InferenceDeployment, else null. */
    static String targetOf(HorizontalPodAutoscaler hpa) {
        var ref = hpa.getSpec() == null ? null : hpa.getSpec().getScaleTargetRef();
        if (ref == null
                || !"InferenceDeployment".equals(ref.getKind())
                || ref.getApiVersion() == null
                || !ref.getApiVersion().startsWith(InferenceDeployment.GROUP + "/")) {
            return null;
        }
        return ref.getName();
    }

    InformerEventSource<ResourceSlice, InferenceDeployment> resourceSlices() {
        return resourceSlices;
    }

    InformerEventSource<ResourceClaim, InferenceDeployment> resourceClaims() {
        return resourceClaims;
    }

    InformerEventSource<Pod, InferenceDeployment> pods() {
        return pods;
    }

    InformerEventSource<Node, InferenceDeployment> nodes() {
        return nodes;
    }

    InformerEventSource<ConfigMap, InferenceDeployment> migConfig() {
        return migConfig;
    }

    PlanEventSource planEvents() {
        return planEvents;
    }

    /**
     * The deployments a change of {@code node} concerns: those with a replica pod bound there, and those the last
     * planning pass placed there or left short ({@code concernedByNode}); every deployment before the first pass.
     * Waking every deployment for every node change (MIG Manager's labels during a repartition, Quartet's own
     * annotations) made thousands of reconciles a minute at 1,000 deployments while nothing else changed (issue 18);
     * a change that alters the plan wakes, through the pass it triggers, every deployment whose part changed.
     */
    private Set<ResourceID> concernedBy(
            String name,
            java.util.function.Function<String, Optional<Set<String>>> concernedByNode,
            EventSourceContext<InferenceDeployment> context) {
        Optional<Set<String>> planned = concernedByNode.apply(name);
        if (planned.isEmpty()) {
            return allDeployments(context);
        }
        Set<ResourceID> out = new java.util.HashSet<>();
        planned.get().forEach(d -> out.add(ClusterPlanning.resourceId(d)));
        pods.list(p -> name.equals(PodFacts.node(p))).forEach(p -> {
            String owner = InventoryBuilder.deploymentOf(p);
            if (owner != null) {
                out.add(ClusterPlanning.resourceId(owner));
            }
        });
        return out;
    }

    private static Set<ResourceID> allDeployments(EventSourceContext<InferenceDeployment> context) {
        return context.getPrimaryCache().list().map(ResourceID::fromResource).collect(Collectors.toSet());
    }

    /** Quartet's own pods always matter to their owner; another tenant's only when its binding or slice changes. */
    /** A node agent pod's change that can change whether its node's report is taken. */
    static boolean agentPodChangeMatters(Pod now, Pod before) {
        return !Objects.equals(PodFacts.node(now), PodFacts.node(before))
                || PodFacts.isTerminating(now) != PodFacts.isTerminating(before)
                || AgentReports.isReady(now) != AgentReports.isReady(before);
    }

    static boolean podChangeMatters(Pod now, Pod before) {
        if (InventoryBuilder.deploymentOf(now) != null) {
            return true;
        }
        return PodFacts.usesNvidiaResources(now)
                && (!Objects.equals(PodFacts.node(now), PodFacts.node(before))
                        || !Objects.equals(phase(now), phase(before))
                        || !Objects.equals(
                                now.getMetadata().getDeletionTimestamp(),
                                before.getMetadata().getDeletionTimestamp())
                        || !Objects.equals(annotation(now), annotation(before)));
    }

    /** Heartbeats change a node every few seconds; only labels, annotations, capacity, readiness and taints matter. */
    static boolean nodeChangeMatters(Node now, Node before) {
        return !Objects.equals(
                        now.getMetadata().getLabels(), before.getMetadata().getLabels())
                || !Objects.equals(
                        now.getMetadata().getAnnotations(), before.getMetadata().getAnnotations())
                || !Objects.equals(
                        now.getStatus().getAllocatable(), before.getStatus().getAllocatable())
                || !Objects.equals(now.getSpec().getTaints(), before.getSpec().getTaints())
                || !Objects.equals(
                        now.getSpec().getUnschedulable(), before.getSpec().getUnschedulable())
                || !Objects.equals(ready(now), ready(before));
    }

    private static String ready(Node n) {
        return GpuNode.readyCondition(n).map(NodeCondition::getStatus).orElse(null);
    }

    private static String phase(Pod p) {
        return p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    private static String annotation(Pod p) {
        return p.getMetadata().getAnnotations() == null
                ? null
                : p.getMetadata().getAnnotations().get(QuartetLabels.MIG_DEVICE);
    }
}
