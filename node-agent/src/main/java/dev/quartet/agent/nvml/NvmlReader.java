package dev.quartet.agent.nvml;

import static dev.quartet.agent.nvml.NvmlLibrary.NVML_ERROR_INSUFFICIENT_SIZE;
import static dev.quartet.agent.nvml.NvmlLibrary.NVML_ERROR_INVALID_ARGUMENT;
import static dev.quartet.agent.nvml.NvmlLibrary.NVML_ERROR_NOT_FOUND;
import static dev.quartet.agent.nvml.NvmlLibrary.NVML_ERROR_NOT_SUPPORTED;
import static dev.quartet.agent.nvml.NvmlLibrary.NVML_SUCCESS;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.quartet.agent.core.GpuFactsSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every GPU of the node from NVML: MIG mode, the profile table, the GPU instances with their placements and
 * the MIG device on each, and whether processes run there. One instance per process: NVML is initialised when it is
 * opened and shut down when it is closed; {@link #read()} is called from one thread at a time.
 */
public final class NvmlReader implements GpuFactsSource, AutoCloseable {

    private final NvmlLibrary nvml;
    private boolean profileInfoV = true;

    private NvmlReader(NvmlLibrary nvml) {
        this.nvml = nvml;
    }

    /**
     * Loads {@code library} ({@code libnvidia-ml.so.1}, found as the dynamic linker finds it, or a path) and
     * initialises NVML.
     */
    public static NvmlReader open(String library) {
        NvmlLibrary nvml = Native.load(library, NvmlLibrary.class);
        NvmlReader reader = new NvmlReader(nvml);
        reader.check("nvmlInit_v2", nvml.nvmlInit_v2());
        return reader;
    }

    /** Every GPU NVML sees, by index. */
    @Override
    public List<GpuFacts> read() {
        IntByReference count = new IntByReference();
        check("nvmlDeviceGetCount_v2", nvml.nvmlDeviceGetCount_v2(count));
        List<GpuFacts> gpus = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
            PointerByReference handle = new PointerByReference();
            check("nvmlDeviceGetHandleByIndex_v2(" + i + ")", nvml.nvmlDeviceGetHandleByIndex_v2(i, handle));
            gpus.add(gpu(i, handle.getValue()));
        }
        return gpus;
    }

    private GpuFacts gpu(int index, Pointer device) {
        String uuid = string(
                "nvmlDeviceGetUUID", NvmlLibrary.UUID_BUFFER_SIZE, (b, n) -> nvml.nvmlDeviceGetUUID(device, b, n));
        String product = string(
                "nvmlDeviceGetName", NvmlLibrary.NAME_BUFFER_SIZE, (b, n) -> nvml.nvmlDeviceGetName(device, b, n));
        NvmlLibrary.Memory64 memory = new NvmlLibrary.Memory64();
        check("nvmlDeviceGetMemoryInfo(" + uuid + ")", nvml.nvmlDeviceGetMemoryInfo(device, memory));
        long memoryBytes = memory.total;
        IntByReference current = new IntByReference();
        IntByReference pending = new IntByReference();
        int mode = nvml.nvmlDeviceGetMigMode(device, current, pending);
        if (mode == NVML_ERROR_NOT_SUPPORTED) {
            return new GpuFacts(index, uuid, product, memoryBytes >> 20, false, false, false, List.of(), List.of());
        }
        check("nvmlDeviceGetMigMode(" + uuid + ")", mode);
        boolean enabled = current.getValue() == NvmlLibrary.MIG_ENABLE;
        List<ProfileFacts> profiles = profiles(device, memoryBytes);
        List<InstanceFacts> instances = enabled ? instances(device, profiles) : List.of();
        return new GpuFacts(
                index,
                uuid,
                product,
                memoryBytes >> 20,
                true,
                enabled,
                pending.getValue() == NvmlLibrary.MIG_ENABLE,
                profiles,
                instances);
    }

    /** Profile indices 0..COUNT-1; the ones this GPU or driver lacks are skipped, as go-nvlib and nos skip them. */
    private List<ProfileFacts> profiles(Pointer device, long memoryBytes) {
        List<ProfileFacts> profiles = new ArrayList<>();
        for (int index = 0; index < NvmlLibrary.GPU_INSTANCE_PROFILE_COUNT; index++) {
            int id;
            int slices;
            int maxCount;
            int multiprocessors;
            long memoryMB;
            int result;
            if (profileInfoV) {
                NvmlLibrary.GpuInstanceProfileInfoV2 info = new NvmlLibrary.GpuInstanceProfileInfoV2();
                try {
                    result = nvml.nvmlDeviceGetGpuInstanceProfileInfoV(device, index, info);
                } catch (UnsatisfiedLinkError e) {
                    profileInfoV = false; // a driver before R510: the unversioned call
                    index--;
                    continue;
                }
                id = info.id;
                slices = info.sliceCount;
                maxCount = info.instanceCount;
                multiprocessors = info.multiprocessorCount;
                memoryMB = info.memorySizeMB;
            } else {
                NvmlLibrary.GpuInstanceProfileInfo info = new NvmlLibrary.GpuInstanceProfileInfo();
                result = nvml.nvmlDeviceGetGpuInstanceProfileInfo(device, index, info);
                id = info.id;
                slices = info.sliceCount;
                maxCount = info.instanceCount;
                multiprocessors = info.multiprocessorCount;
                memoryMB = info.memorySizeMB;
            }
            if (result == NVML_ERROR_NOT_SUPPORTED
                    || result == NVML_ERROR_NOT_FOUND
                    || result == NVML_ERROR_INVALID_ARGUMENT) {
                continue;
            }
            check("nvmlDeviceGetGpuInstanceProfileInfoV(" + index + ")", result);
            List<int[]> placements = placements(device, id);
            List<Integer> starts = placements.stream().map(p -> p[0]).sorted().toList();
            int memorySlices = placements.isEmpty() ? 0 : placements.get(0)[1];
            profiles.add(new ProfileFacts(
                    index,
                    id,
                    ProfileNaming.name(index, memoryMB, memoryBytes),
                    slices,
                    memorySlices,
                    maxCount,
                    multiprocessors,
                    memoryMB,
                    starts));
        }
        return profiles;
    }

    /** {start, size} of each possible placement; empty when NVML gives none (MIG off, or not privileged). */
    private List<int[]> placements(Pointer device, int profileId) {
        IntByReference count = new IntByReference(0);
        int result = nvml.nvmlDeviceGetGpuInstancePossiblePlacements_v2(device, profileId, null, count);
        if (result != NVML_SUCCESS || count.getValue() == 0) {
            return List.of();
        }
        Memory buffer = new Memory((long) NvmlLibrary.PLACEMENT_SIZE * count.getValue());
        result = nvml.nvmlDeviceGetGpuInstancePossiblePlacements_v2(device, profileId, buffer, count);
        if (result != NVML_SUCCESS) {
            return List.of();
        }
        List<int[]> placements = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
            long offset = (long) NvmlLibrary.PLACEMENT_SIZE * i;
            placements.add(new int[] {buffer.getInt(offset), buffer.getInt(offset + 4)});
        }
        return placements;
    }

    /** The GPU instances of every profile, each with the MIG device on it (matched by GPU instance id). */
    private List<InstanceFacts> instances(Pointer device, List<ProfileFacts> profiles) {
        Map<Integer, MigDevice> migDevices = migDevices(device);
        List<InstanceFacts> instances = new ArrayList<>();
        for (ProfileFacts profile : profiles) {
            if (profile.maxCount() <= 0) {
                continue;
            }
            Pointer[] handles = new Pointer[profile.maxCount()];
            IntByReference count = new IntByReference(profile.maxCount());
            check(
                    "nvmlDeviceGetGpuInstances(profile " + profile.id() + ")",
                    nvml.nvmlDeviceGetGpuInstances(device, profile.id(), handles, count));
            for (int i = 0; i < count.getValue(); i++) {
                NvmlLibrary.GpuInstanceInfo info = new NvmlLibrary.GpuInstanceInfo();
                check("nvmlGpuInstanceGetInfo", nvml.nvmlGpuInstanceGetInfo(handles[i], info));
                MigDevice mig = migDevices.get(info.id);
                instances.add(new InstanceFacts(
                        info.id,
                        info.profileId,
                        profile.name(),
                        info.placementStart,
                        info.placementSize,
                        mig == null ? null : mig.uuid(),
                        mig == null ? 0 : mig.processes()));
            }
        }
        instances.sort(Comparator.comparingInt(InstanceFacts::start).thenComparingInt(InstanceFacts::giId));
        return instances;
    }

    private record MigDevice(String uuid, int processes) {}

    /** MIG devices by GPU instance id; empty slots (NOT_FOUND, or any error) are skipped, as go-nvlib skips them. */
    private Map<Integer, MigDevice> migDevices(Pointer device) {
        IntByReference max = new IntByReference();
        check("nvmlDeviceGetMaxMigDeviceCount", nvml.nvmlDeviceGetMaxMigDeviceCount(device, max));
        Map<Integer, MigDevice> byGpuInstance = new HashMap<>();
        for (int slot = 0; slot < max.getValue(); slot++) {
            PointerByReference handle = new PointerByReference();
            if (nvml.nvmlDeviceGetMigDeviceHandleByIndex(device, slot, handle) != NVML_SUCCESS) {
                continue;
            }
            Pointer mig = handle.getValue();
            IntByReference giId = new IntByReference();
            if (nvml.nvmlDeviceGetGpuInstanceId(mig, giId) != NVML_SUCCESS) {
                continue;
            }
            String uuid = string(
                    "nvmlDeviceGetUUID(MIG)",
                    NvmlLibrary.UUID_BUFFER_SIZE,
                    (b, n) -> nvml.nvmlDeviceGetUUID(mig, b, n));
            byGpuInstance.put(giId.getValue(), new MigDevice(uuid, processes(mig)));
        }
        return byGpuInstance;
    }

    /** Compute processes on a MIG device: asked with a zero count, as NVML's header describes. */
    private int processes(Pointer migDevice) {
        IntByReference count = new IntByReference(0);
        int result = nvml.nvmlDeviceGetComputeRunningProcesses_v3(migDevice, count, null);
        if (result == NVML_SUCCESS) {
            return 0;
        }
        if (result == NVML_ERROR_INSUFFICIENT_SIZE) {
            return count.getValue();
        }
        return 0; // NO_PERMISSION and the like: unknown reads as idle; the pod annotation does not depend on it
    }

    private interface StringCall {
        int call(byte[] buffer, int length);
    }

    private String string(String call, int size, StringCall function) {
        byte[] buffer = new byte[size];
        check(call, function.call(buffer, size));
        return Native.toString(buffer, "UTF-8");
    }

    private void check(String call, int result) {
        if (result != NVML_SUCCESS) {
            throw new NvmlException(call, result, nvml.nvmlErrorString(result));
        }
    }

    @Override
    public void close() {
        nvml.nvmlShutdown();
    }
}
