package dev.quartet.agent.nvml;

/**
 * A GPU instance that exists on a GPU, with the MIG device (compute instance) on it.
 *
 * @param giId the GPU instance id, unique on its GPU
 * @param profileId the GI profile id
 * @param profile the profile's name, or null when the id is not in the GPU's profile table
 * @param start placement start, in memory slices
 * @param size placement size, in memory slices
 * @param uuid the {@code MIG-...} UUID of the MIG device on it, or null when it has no compute instance
 * @param processes compute processes running on that MIG device (0 when NVML cannot tell)
 */
public record InstanceFacts(int giId, int profileId, String profile, int start, int size, String uuid, int processes) {}
