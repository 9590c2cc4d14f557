package dev.quartet.sim;

import dev.quartet.nvidia.MigProfile;

/** A MIG device that exists on a GPU: what the device plugin can hand to a container. */
public record MigDevice(int gpu, MigProfile profile, int start, String uuid) {

    /** This device in the node agent's pod annotation format (NodeAgentReport.MIG_DEVICE, docs/contracts.md). */
    public String annotationJson() {
        return "{\"gpu\":" + gpu + ",\"profile\":\"" + profile.name() + "\",\"start\":" + start + ",\"uuid\":\"" + uuid
                + "\"}";
    }

    @Override
    public String toString() {
        return "gpu" + gpu + ":" + profile.name() + "@" + start;
    }
}
