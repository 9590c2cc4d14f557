package dev.quartet.agent.core;

import dev.quartet.agent.kubelet.PodDevices;
import java.util.List;

/** Which MIG devices each pod holds, as the kubelet says: {@link dev.quartet.agent.kubelet.PodResourcesReader}. */
@FunctionalInterface
public interface PodDevicesSource {

    /** Every pod with at least one MIG device; throws when the kubelet cannot be asked. */
    List<PodDevices> list();
}
