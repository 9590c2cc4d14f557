package dev.quartet.inventory;

import dev.quartet.nvidia.NodeAgentReport;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Whose word on a node's MIG layout Quartet takes ({@code quartet.node-agent.reports}): the node agent's annotations
 * {@code quartet.dev/mig-layout} and {@code quartet.dev/mig-profiles} stay on a node after its agent is gone, so an
 * operator installed with the chart's agent reads them only while a Ready agent pod runs on that node. A node whose
 * report is not taken is planned as a node without an agent (docs/contracts.md). Pods' {@code quartet.dev/mig-device}
 * are always read: the device a running pod holds does not change when the agent stops.
 *
 * @param mode which reports are taken
 * @param podLabels with {@link Mode#AGENT_PODS}: the labels every agent pod carries
 * @param podNamespace with {@link Mode#AGENT_PODS}: the agent pods' namespace; empty: any
 */
public record AgentReports(Mode mode, Map<String, String> podLabels, String podNamespace) {

    public enum Mode {
        /** Every node's annotations (agents run outside the chart, or the simulator plays them). */
        ANNOTATIONS("annotations"),
        /** A node's annotations while a Ready pod of the chart's agent runs there (the chart with its agent). */
        AGENT_PODS("agent-pods"),
        /** None: every node is a node without an agent (the chart with its agent turned off). */
        OFF("off");

        private final String value;

        Mode(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }
    }

    /** Every node's annotations, as written. */
    public static final AgentReports ANNOTATIONS = new AgentReports(Mode.ANNOTATIONS, Map.of(), "");

    public AgentReports {
        podLabels = Map.copyOf(podLabels);
        podNamespace = podNamespace == null ? "" : podNamespace;
        if (mode == Mode.AGENT_PODS && podLabels.isEmpty()) {
            throw new IllegalArgumentException(
                    "agent-pods needs the agent pods' labels (quartet.node-agent.pod-selector)");
        }
    }

    /**
     * Parses {@code quartet.node-agent.reports} ({@code annotations}, {@code agent-pods} or {@code off}) with the agent
     * pods' selector ({@code key=value,key=value}) and namespace; the message names what is legal.
     */
    public static AgentReports parse(String mode, String podSelector, String podNamespace) {
        String m = mode == null ? "" : mode.trim().toLowerCase(Locale.ROOT);
        for (Mode candidate : Mode.values()) {
            if (candidate.value.equals(m)) {
                return new AgentReports(
                        candidate, candidate == Mode.AGENT_PODS ? labels(podSelector) : Map.of(), podNamespace);
            }
        }
        throw new IllegalArgumentException(
                "quartet.node-agent.reports takes annotations, agent-pods or off (got '" + mode + "')");
    }

    private static Map<String, String> labels(String selector) {
        Map<String, String> out = new LinkedHashMap<>();
        if (selector != null) {
            for (String part : selector.split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                int eq = part.indexOf('=');
                if (eq <= 0 || part.indexOf('=', eq + 1) >= 0) {
                    throw new IllegalArgumentException("quartet.node-agent.pod-selector takes key=value pairs separated"
                            + " by commas (got '" + selector + "')");
                }
                out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "quartet.node-agent.reports=agent-pods needs quartet.node-agent.pod-selector (got '" + selector
                            + "')");
        }
        return out;
    }

    /** The names of the nodes where a Ready agent pod runs; everyone's with {@link Mode#ANNOTATIONS}. */
    public Set<String> nodesWithAgent(List<Pod> pods) {
        Set<String> out = new HashSet<>();
        if (mode != Mode.AGENT_PODS) {
            return out;
        }
        for (Pod pod : pods) {
            if (isAgentPod(pod) && PodFacts.isBound(pod) && !PodFacts.isTerminating(pod) && isReady(pod)) {
                out.add(PodFacts.node(pod));
            }
        }
        return out;
    }

    /**
     * The node as planning reads it: without the agent's annotations when its report is not taken ({@code agents}:
     * {@link #nodesWithAgent} of the same pass).
     */
    public Node view(Node node, Set<String> agents) {
        if (mode == Mode.ANNOTATIONS
                || (mode == Mode.AGENT_PODS
                        && agents.contains(node.getMetadata().getName()))) {
            return node;
        }
        Map<String, String> annotations = node.getMetadata().getAnnotations();
        if (annotations == null
                || (!annotations.containsKey(NodeAgentReport.MIG_LAYOUT)
                        && !annotations.containsKey(NodeAgentReport.MIG_PROFILES))) {
            return node;
        }
        return new NodeBuilder(node)
                .editMetadata()
                .removeFromAnnotations(NodeAgentReport.MIG_LAYOUT)
                .removeFromAnnotations(NodeAgentReport.MIG_PROFILES)
                .endMetadata()
                .build();
    }

    /** Whether the pod is one of the agent pods whose presence decides ({@link Mode#AGENT_PODS} only). */
    public boolean isAgentPod(Pod pod) {
        if (mode != Mode.AGENT_PODS) {
            return false;
        }
        if (!podNamespace.isEmpty() && !podNamespace.equals(pod.getMetadata().getNamespace())) {
            return false;
        }
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels != null && labels.entrySet().containsAll(podLabels.entrySet());
    }

    /** Whether the pod's {@code Ready} condition is {@code True}. */
    public static boolean isReady(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition c : pod.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }
}
