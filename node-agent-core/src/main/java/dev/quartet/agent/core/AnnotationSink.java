package dev.quartet.agent.core;

import dev.quartet.agent.annotations.DesiredAnnotations;

/** Where a pass's annotations go: {@link dev.quartet.agent.annotations.AnnotationWriter} on a cluster. */
@FunctionalInterface
public interface AnnotationSink {

    /** Writes what differs from what the objects have; returns the number of API writes made. */
    int apply(DesiredAnnotations desired);
}
