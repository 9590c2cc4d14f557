package dev.quartet.reconciler;

import dev.quartet.model.InferenceDeployment;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.Collection;
import java.util.Set;

/** Wakes up the InferenceDeployments whose part of the cluster-wide plan changed during another one's reconcile. */
public class PlanEventSource extends AbstractEventSource<Void, InferenceDeployment> {

    public PlanEventSource() {
        super(Void.class, "plan");
    }

    @Override
    public Set<Void> getSecondaryResources(InferenceDeployment primary) {
        return Set.of();
    }

    public void fire(Collection<ResourceID> deployments) {
        if (!isRunning() || getEventHandler() == null) {
            return;
        }
        deployments.forEach(id -> getEventHandler().handleEvent(new Event(id)));
    }
}
