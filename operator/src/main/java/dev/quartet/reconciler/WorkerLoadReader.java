package dev.quartet.reconciler;

import dev.quartet.autoscale.WorkerReading;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;

/** Reads Ready replicas' load from their workers; behind an interface so the autoscaler is tested without HTTP. */
public interface WorkerLoadReader {

    /** The readings of the replicas that answered, by replica pod name; a replica that did not is absent. */
    Map<String, WorkerReading> read(List<Pod> readyReplicas);
}
