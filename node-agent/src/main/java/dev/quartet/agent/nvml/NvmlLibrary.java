package dev.quartet.agent.nvml;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The NVML functions the agent calls, bound by JNA to {@code libnvidia-ml.so.1} (or the fake of the same ABI). Names,
 * argument types and struct layouts are NVIDIA's {@code nvml.h} as vendored unchanged in NVIDIA/go-nvml
 * {@code gen/nvml/nvml.h} at commit 2f9e261f (CUDA 13.3 header, {@code NVML_API_VERSION 13}); every symbol here exists
 * since the 11.6 header (R510 drivers). The versioned names ({@code _v2}, {@code _v3}) are the real symbols: the
 * unversioned ones are C macros. {@code nvmlDevice_t} and {@code nvmlGpuInstance_t} are opaque pointers; {@code
 * unsigned int} maps to {@code int} and {@code unsigned long long} to {@code long}, read as unsigned.
 */
public interface NvmlLibrary extends Library {

    int NVML_SUCCESS = 0;
    int NVML_ERROR_INVALID_ARGUMENT = 2;
    int NVML_ERROR_NOT_SUPPORTED = 3;
    int NVML_ERROR_NOT_FOUND = 6;
    int NVML_ERROR_INSUFFICIENT_SIZE = 7;

    /** {@code NVML_DEVICE_UUID_V2_BUFFER_SIZE}: the buffer {@code nvmlDeviceGetUUID} wants. */
    int UUID_BUFFER_SIZE = 96;
    /** {@code NVML_DEVICE_NAME_V2_BUFFER_SIZE}. */
    int NAME_BUFFER_SIZE = 96;
    /** {@code NVML_DEVICE_MIG_ENABLE}. */
    int MIG_ENABLE = 1;
    /** {@code NVML_GPU_INSTANCE_PROFILE_COUNT} of the 13.3 header; an older driver answers the indices it lacks with INVALID_ARGUMENT. */
    int GPU_INSTANCE_PROFILE_COUNT = 0x12;
    /** {@code nvmlGpuInstanceProfileInfo_v2} = sizeof(nvmlGpuInstanceProfileInfo_v2_t) | 2 << 24. */
    int GPU_INSTANCE_PROFILE_INFO_V2 = 0x02000098;
    /** sizeof(nvmlGpuInstancePlacement_t): {start, size}. */
    int PLACEMENT_SIZE = 8;
    /** sizeof(nvmlProcessInfo_t) (= nvmlProcessInfo_v2_t): {pid, (pad), usedGpuMemory, gpuInstanceId, computeInstanceId}. */
    int PROCESS_INFO_SIZE = 24;

    int nvmlInit_v2();

    int nvmlShutdown();

    String nvmlErrorString(int result);

    int nvmlDeviceGetCount_v2(IntByReference deviceCount);

    int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

    int nvmlDeviceGetHandleByUUID(String uuid, PointerByReference device);

    int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

    int nvmlDeviceGetIndex(Pointer device, IntByReference index);

    int nvmlDeviceGetName(Pointer device, byte[] name, int length);

    int nvmlDeviceGetMemoryInfo(Pointer device, Memory64 memory);

    int nvmlDeviceGetMigMode(Pointer device, IntByReference currentMode, IntByReference pendingMode);

    int nvmlDeviceGetMaxMigDeviceCount(Pointer device, IntByReference count);

    int nvmlDeviceGetMigDeviceHandleByIndex(Pointer device, int index, PointerByReference migDevice);

    int nvmlDeviceGetGpuInstanceId(Pointer device, IntByReference id);

    int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(Pointer migDevice, PointerByReference device);

    int nvmlDeviceGetGpuInstanceProfileInfo(Pointer device, int profile, GpuInstanceProfileInfo info);

    int nvmlDeviceGetGpuInstanceProfileInfoV(Pointer device, int profile, GpuInstanceProfileInfoV2 info);

    /** {@code placements} NULL asks for the count; else a buffer of {@code *count} nvmlGpuInstancePlacement_t. */
    int nvmlDeviceGetGpuInstancePossiblePlacements_v2(
            Pointer device, int profileId, Memory placements, IntByReference count);

    /** {@code gpuInstances} holds the profile's {@code instanceCount} handles. */
    int nvmlDeviceGetGpuInstances(Pointer device, int profileId, Pointer[] gpuInstances, IntByReference count);

    int nvmlGpuInstanceGetInfo(Pointer gpuInstance, GpuInstanceInfo info);

    /** {@code infos} may be NULL with {@code *infoCount} 0: the answer is then the count (INSUFFICIENT_SIZE) or none. */
    int nvmlDeviceGetComputeRunningProcesses_v3(Pointer device, IntByReference infoCount, Memory infos);

    /** {@code nvmlMemory_t}: total, free, used, in bytes (24 bytes). */
    @Structure.FieldOrder({"total", "free", "used"})
    class Memory64 extends Structure {
        public long total;
        public long free;
        public long used;
    }

    /** {@code nvmlGpuInstanceProfileInfo_t}, the unversioned "v1" (48 bytes). */
    @Structure.FieldOrder({
        "id",
        "isP2pSupported",
        "sliceCount",
        "instanceCount",
        "multiprocessorCount",
        "copyEngineCount",
        "decoderCount",
        "encoderCount",
        "jpegCount",
        "ofaCount",
        "memorySizeMB"
    })
    class GpuInstanceProfileInfo extends Structure {
        public int id;
        public int isP2pSupported;
        public int sliceCount;
        public int instanceCount;
        public int multiprocessorCount;
        public int copyEngineCount;
        public int decoderCount;
        public int encoderCount;
        public int jpegCount;
        public int ofaCount;
        public long memorySizeMB;
    }

    /** {@code nvmlGpuInstanceProfileInfo_v2_t} (152 bytes; {@code version} must be set before the call). */
    @Structure.FieldOrder({
        "version",
        "id",
        "isP2pSupported",
        "sliceCount",
        "instanceCount",
        "multiprocessorCount",
        "copyEngineCount",
        "decoderCount",
        "encoderCount",
        "jpegCount",
        "ofaCount",
        "memorySizeMB",
        "name"
    })
    class GpuInstanceProfileInfoV2 extends Structure {
        public int version = GPU_INSTANCE_PROFILE_INFO_V2;
        public int id;
        public int isP2pSupported;
        public int sliceCount;
        public int instanceCount;
        public int multiprocessorCount;
        public int copyEngineCount;
        public int decoderCount;
        public int encoderCount;
        public int jpegCount;
        public int ofaCount;
        public long memorySizeMB;
        public byte[] name = new byte[NAME_BUFFER_SIZE];
    }

    /** {@code nvmlGpuInstanceInfo_t}: parent device, id, profileId, placement {start, size} (24 bytes). */
    @Structure.FieldOrder({"device", "id", "profileId", "placementStart", "placementSize"})
    class GpuInstanceInfo extends Structure {
        public Pointer device;
        public int id;
        public int profileId;
        public int placementStart;
        public int placementSize;
    }
}
