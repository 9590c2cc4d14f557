package dev.quartet.reconciler;

import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.Collection;
import java.util.Set;

/**
 * Wakes the node loop for nodes whose part of the plan changed, or whose drain may have moved on (pods changed), as
 * {@link ClusterPlanning} sees it while planning; the node informer wakes it for the node's own changes.
 */
public class NodeEventSource extends AbstractEventSource<Void, Node> {

    public NodeEventSource() {
        super(Void.class, "node-plan");
    }

    @Override
    public Set<Void> getSecondaryResources(Node primary) {
        return Set.of();
    }

    public void fire(Collection<String> nodes) {
        if (!isRunning() || getEventHandler() == null) {
            return;
        }
        nodes.forEach(n -> getEventHandler().handleEvent(new Event(new ResourceID(n))));
    }
}
