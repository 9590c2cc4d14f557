package dev.quartet.config;

import java.util.Optional;

/** {@link QuartetConfig.NodeAgent} values for the tests that implement {@link QuartetConfig} by hand. */
public final class NodeAgentSettings {

    private NodeAgentSettings() {}

    /** The operator's defaults: every node's agent annotations as written ({@code annotations}). */
    public static QuartetConfig.NodeAgent defaults() {
        return new QuartetConfig.NodeAgent() {
            public String reports() {
                return "annotations";
            }

            public String podSelector() {
                return "app.kubernetes.io/component=node-agent";
            }

            public Optional<String> podNamespace() {
                return Optional.empty();
            }
        };
    }
}
